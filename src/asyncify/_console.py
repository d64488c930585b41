"""What the commands print besides their data: one-line messages and a progress bar."""

from __future__ import annotations

import sys

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn

err = Console(stderr=True)


def say(message: str) -> None:
    """One message, one line, on stderr (never wrapped: editors and CI parse these)."""
    sys.stderr.write(message.replace("\n", " ") + "\n")


class progress:
    """A progress bar on stderr for long runs, only when stderr is a terminal."""

    def __init__(self, label: str = "indexing") -> None:
        self._label = label
        self._bar: Progress | None = None
        self._task: TaskID | None = None

    def __enter__(self) -> progress | None:
        if not err.is_terminal:
            return None
        self._bar = Progress(
            TextColumn(self._label), BarColumn(), MofNCompleteColumn(), console=err,
            transient=True,
        )
        self._bar.start()
        return self

    def __call__(self, done: int, total: int) -> None:
        assert self._bar is not None
        if self._task is None:
            self._task = self._bar.add_task(self._label, total=total)
        self._bar.update(self._task, completed=done)

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()
