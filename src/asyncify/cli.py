"""The ``asyncify`` command: a thin typer layer over :mod:`asyncify.api`.

Data goes to stdout, messages to stderr. Exit 0 clean, 1 findings/changes, 2 usage error.
"""

from __future__ import annotations

import enum
import gc
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from . import _cli_apply, _cli_flags, _cli_verify, api
from ._console import progress, say
from .errors import AsyncifyError
from .planner import render_html, render_json, render_markdown, render_table

app = typer.Typer(
    name="asyncify",
    help="Migrate a Flask + requests + psycopg2 service to FastAPI + httpx + asyncpg, "
    "one endpoint at a time.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    """Migrate a Flask service to FastAPI one endpoint at a time."""


class PlanFormat(enum.StrEnum):
    table = "table"
    json = "json"
    markdown = "markdown"
    html = "html"


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
    profile: Annotated[
        list[Path] | None,
        typer.Option(
            "--profile", "-p",
            help="Measured traffic to merge into the ranking: asyncify.profile JSON Lines, OTLP "
            "JSON spans or an access log (a directory: every *.jsonl/*.log in it). Repeatable.",
        ),
    ] = None,
) -> None:
    """Rank the project's endpoints by I/O profile and propose rollout waves."""
    try:
        with progress() as report, progress("reading profiles") as reading:
            result = api.plan(path, use_cache=not no_cache, workers=workers, progress=report,
                              profiles=profile or (), profile_progress=reading)
    except AsyncifyError as exc:
        say(f"asyncify: error: {exc}")
        raise typer.Exit(2) from None
    for diagnostic in result.diagnostics:
        say(diagnostic.render())
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
    if format is PlanFormat.html:
        text = render_html(result)
    else:
        text = render_json(result) if format is PlanFormat.json else render_markdown(result)
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")


class CheckFormat(enum.StrEnum):
    text = "text"
    json = "json"
    sarif = "sarif"


def _codes(value: str | None) -> list[str] | None:
    return None if value is None else [c.strip().upper() for c in value.split(",") if c.strip()]


@app.command()
def check(
    path: Annotated[Path, typer.Argument(help="The project's root directory.")] = Path("."),
    format: Annotated[CheckFormat, typer.Option("--format", "-f", help="Output format.")] = (
        CheckFormat.text
    ),
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file, not stdout.")
    ] = None,
    select: Annotated[
        str | None, typer.Option("--select", help="Only these rules (IDs or prefixes, comma "
                                 "separated); overrides \\[tool.asyncify.check] select.")
    ] = None,
    ignore: Annotated[
        str | None, typer.Option("--ignore", help="Skip these rules (IDs or prefixes); "
                                 "overrides \\[tool.asyncify.check] ignore.")
    ] = None,
    baseline: Annotated[
        Path | None, typer.Option("--baseline", help="Report only findings not in this file.")
    ] = None,
    write_baseline: Annotated[
        Path | None, typer.Option("--write-baseline",
                                  help="Record the current findings here and exit 0.")
    ] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Ignore the summary cache.")] = (
        False
    ),
    workers: Annotated[
        int | None, typer.Option(min=1, help="Worker processes for parsing (default: cores).")
    ] = None,
) -> None:
    """Lint async code for blocking calls, also through sync helpers. Exit 1 on findings."""
    from .check import render_json, render_sarif, render_text
    from .check import write_baseline as store_baseline

    try:
        with progress() as report:
            result = api.check(
                path, select_rules=_codes(select), ignore_rules=_codes(ignore),
                baseline=baseline, use_baseline=write_baseline is None,
                use_cache=not no_cache, workers=workers, progress=report,
            )
        if write_baseline is not None:
            count = store_baseline(write_baseline, result.findings)
            say(f"asyncify: wrote {count} finding(s) to {write_baseline}")
            return
    except (AsyncifyError, OSError) as exc:
        say(f"asyncify: error: {exc}")
        raise typer.Exit(2) from None
    for diagnostic in result.diagnostics:
        say(diagnostic.render())
    render = {CheckFormat.text: render_text, CheckFormat.json: render_json,
              CheckFormat.sarif: render_sarif}[format]
    text = render(result)
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
    if result.findings:
        extra = f", {result.baselined} more in the baseline" if result.baselined else ""
        say(f"asyncify: {len(result.findings)} finding(s){extra}")
        raise typer.Exit(1)


_cli_apply.register(app)
_cli_verify.register(app)
app.add_typer(_cli_flags.flags_app)


def main() -> None:
    # A command is short-lived and builds millions of small acyclic objects (summaries,
    # refs, plan rows): the cyclic collector would only walk them again and again.
    gc.disable()
    app()
