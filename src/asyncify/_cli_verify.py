"""The ``verify`` command (registered on the typer app by :mod:`asyncify.cli`)."""

from __future__ import annotations

import enum
import sys
from pathlib import Path
from typing import Annotated

import typer

from . import api
from ._console import say
from .errors import AsyncifyError


class VerifyFormat(enum.StrEnum):
    text = "text"
    json = "json"


def register(app: typer.Typer) -> None:
    app.command()(verify)


def _pairs(values: list[str] | None, option: str, sep: str = "=") -> dict[str, str]:
    out = {}
    for value in values or []:
        key, found, rest = value.partition(sep)
        if not found or not key:
            say(f"asyncify: error: {option} expects KEY{sep}VALUE, got {value!r}")
            raise typer.Exit(2)
        out[key] = rest
    return out


def verify(
    legacy: Annotated[str, typer.Option(
        "--legacy", help="Base URL, or app spec to start (wsgi:module:factory() under "
        "gunicorn, asgi:module:app under uvicorn).")],
    candidate: Annotated[str, typer.Option(
        "--candidate", help="Base URL or app spec of the migrated (or combined) app.")],
    path: Annotated[Path, typer.Argument(
        help="The project's root: its route table and \\[tool.asyncify.verify]; app specs "
        "are started from here.")] = Path("."),
    samples: Annotated[Path | None, typer.Option(
        "--samples", "-s", help="Extra requests, one JSON object per line.")] = None,
    generate: Annotated[bool, typer.Option(
        "--generate/--no-generate", help="Send requests generated from the route table.")] = True,
    endpoint: Annotated[list[str] | None, typer.Option(
        "--endpoint", "-e", help="Only generate requests for this endpoint id (repeatable).")]
    = None,
    json_bodies: Annotated[bool | None, typer.Option(
        "--json/--bytes", help="Compare JSON bodies semantically, or byte for byte.")] = None,
    ignore_path: Annotated[list[str] | None, typer.Option(
        "--ignore-path", help="A JSON path left out of body comparisons, e.g. "
        "'$.generated_at' or '$..updated_at' (repeatable).")] = None,
    replace: Annotated[list[str] | None, typer.Option(
        "--replace", help="PATTERN=>REPLACEMENT: a regex applied to both bodies first "
        "(repeatable).")] = None,
    header: Annotated[list[str] | None, typer.Option(
        "--header", "-H", help="Also compare this response header (repeatable).")] = None,
    send_header: Annotated[list[str] | None, typer.Option(
        "--send-header", help="NAME=VALUE sent with every request (repeatable).")] = None,
    env: Annotated[list[str] | None, typer.Option(
        "--env", help="NAME=VALUE for the apps asyncify starts (repeatable).")] = None,
    scratch_template: Annotated[str | None, typer.Option(
        "--scratch-template", help="postgresql:// URL of a database to clone once per side; "
        "enables write requests.")] = None,
    compare_table: Annotated[list[str] | None, typer.Option(
        "--compare-table", help="After each write, compare this table on both sides "
        "(repeatable).")] = None,
    ready_path: Annotated[str | None, typer.Option(
        "--ready-path", help="Path probed until a started app answers.")] = None,
    format: Annotated[VerifyFormat, typer.Option("--format", "-f", help="Output format.")] = (
        VerifyFormat.text
    ),
) -> None:
    """Send the same requests to the legacy and the candidate app; exit 1 on any mismatch."""
    from .verify import render_json, render_text, summary

    overrides: dict[str, object] = {}
    if json_bodies is not None:
        overrides["json"] = json_bodies
    if ignore_path:
        overrides["ignore_paths"] = ignore_path
    if replace:
        overrides["replace"] = [{"pattern": k, "with": v}
                                for k, v in _pairs(replace, "--replace", "=>").items()]
    if header:
        overrides["headers"] = header
    if send_header:
        overrides["request_headers"] = _pairs(send_header, "--send-header")
    if env:
        overrides["env"] = _pairs(env, "--env")
    if scratch_template is not None:
        overrides["scratch_template"] = scratch_template
    if compare_table:
        overrides["compare_tables"] = compare_table
    if ready_path is not None:
        overrides["ready_path"] = ready_path
    try:
        report = api.verify(path, legacy=legacy, candidate=candidate, samples=samples,
                            generate=generate, endpoints=endpoint or (), overrides=overrides)
    except AsyncifyError as exc:
        say(f"asyncify: error: {str(exc).splitlines()[0]}")
        raise typer.Exit(2) from None
    render = render_json if format is VerifyFormat.json else render_text
    sys.stdout.write(render(report))
    say(summary(report))
    if report.mismatches:
        raise typer.Exit(1)
