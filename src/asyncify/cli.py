"""The ``asyncify`` command: a thin typer layer over :mod:`asyncify.api`.

Data goes to stdout, messages to stderr. Exit 0 clean, 1 findings/changes, 2 usage error.
"""

from __future__ import annotations

import enum
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn

from . import _cli_apply, api
from .errors import AsyncifyError
from .planner import render_json, render_markdown, render_table

app = typer.Typer(
    name="asyncify",
    help="Migrate a Flask + requests + psycopg2 service to FastAPI + httpx + asyncpg, "
    "one endpoint at a time.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True)


@app.callback()
def _root() -> None:
    """Migrate a Flask service to FastAPI one endpoint at a time."""


class PlanFormat(enum.StrEnum):
    table = "table"
    json = "json"
    markdown = "markdown"


@app.command()
def plan(
    path: Annotated[Path, typer.Argument(help="The project's root directory.")] = Path("."),
    format: Annotated[PlanFormat, typer.Option("--format", "-f", help="Output format.")] = (
        PlanFormat.table
    ),
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file, not stdout.")
    ] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Ignore the summary cache.")] = (
        False
    ),
    workers: Annotated[
        int | None, typer.Option(min=1, help="Worker processes for parsing (default: cores).")
    ] = None,
) -> None:
    """Rank the project's endpoints by I/O profile and propose rollout waves."""
    try:
        with _progress() as report:
            result = api.plan(path, use_cache=not no_cache, workers=workers, progress=report)
    except AsyncifyError as exc:
        _say(f"asyncify: error: {exc}")
        raise typer.Exit(2) from None
    for diagnostic in result.diagnostics:
        _say(diagnostic.render())
    if format is PlanFormat.table:
        if output is None:
            out = Console()
            if not out.is_terminal:
                out = Console(width=160)
            render_table(result, out)
        else:
            with output.open("w", encoding="utf-8") as handle:
                render_table(result, Console(file=handle, width=200, force_terminal=False))
        return
    text = render_json(result) if format is PlanFormat.json else render_markdown(result)
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")


def _say(message: str) -> None:
    """One message, one line, on stderr (never wrapped: editors and CI parse these)."""
    sys.stderr.write(message.replace("\n", " ") + "\n")


class _progress:
    """A progress bar on stderr for long scans, only when stderr is a terminal."""

    def __init__(self) -> None:
        self._bar: Progress | None = None
        self._task: TaskID | None = None

    def __enter__(self) -> _progress | None:
        if not err.is_terminal:
            return None
        self._bar = Progress(
            TextColumn("indexing"), BarColumn(), MofNCompleteColumn(), console=err,
            transient=True,
        )
        self._bar.start()
        return self

    def __call__(self, done: int, total: int) -> None:
        assert self._bar is not None
        if self._task is None:
            self._task = self._bar.add_task("index", total=total)
        self._bar.update(self._task, completed=done)

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()


_cli_apply.register(app)


def main() -> None:
    app()
