"""The progress display of `ovis deploy`: packaging, upload and waiting, on stderr.

Contract: shown only when stdout is a terminal (a piped or scripted deploy prints just its
result); `Steps` calls are cheap no-ops otherwise, so callers never branch on it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from ovis.cli.tables import err_console, stdout_is_terminal


class Steps:
    """One progress row per step; a step with a total shows a bar, one without a pulse."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._task: TaskID | None = None

    def start(self, description: str, total: int | None = None) -> None:
        """Finish the current step and start a new one."""
        self.finish()
        self._task = self._progress.add_task(description, total=total)

    def advance(self, amount: int = 1) -> None:
        if self._task is not None:
            self._progress.advance(self._task, amount)

    def finish(self) -> None:
        """Mark the current step complete (its bar full)."""
        if self._task is None:
            return
        task = self._progress.tasks[self._progress.task_ids.index(self._task)]
        total = task.total if task.total is not None else 1
        self._progress.update(self._task, total=total, completed=total)
        self._task = None


@contextmanager
def deploy_progress() -> Iterator[Steps]:
    """A live progress display for the duration of the block (see the module's contract)."""
    progress = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console(),
        disable=not stdout_is_terminal(),
        transient=False,
    )
    with progress:
        steps = Steps(progress)
        try:
            yield steps
        finally:
            steps.finish()
