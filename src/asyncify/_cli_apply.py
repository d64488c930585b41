"""The ``apply`` and ``undo`` commands (registered on the typer app by :mod:`asyncify.cli`)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from . import api
from ._console import progress, say
from .errors import AsyncifyError


def _ids(values: list[str] | None) -> list[str]:
    return [part.strip() for value in values or [] for part in value.split(",") if part.strip()]


def register(app: typer.Typer) -> None:
    app.command()(apply)
    app.command()(undo)


def apply(
    paths: Annotated[list[Path], typer.Argument(
        help="Endpoints to migrate (handler ids, Flask endpoint names, 'METHOD /path'), or "
             "with --recipe the files and directories to rewrite.")],
    recipe: Annotated[
        str | None, typer.Option("--recipe", "-r", help="Run this recipe over PATHS.")
    ] = None,
    write: Annotated[bool, typer.Option("--write", help="Write the changes.")] = False,
    in_place: Annotated[
        bool, typer.Option("--in-place", help="Same as --write for recipes: rewrite where the "
                           "files are.")
    ] = False,
    only: Annotated[list[str] | None, typer.Option(help="Run only these rule IDs.")] = None,
    skip: Annotated[list[str] | None, typer.Option(help="Skip these rule IDs.")] = None,
    allow_dirty: Annotated[
        bool, typer.Option("--allow-dirty", help="Write even with uncommitted git changes.")
    ] = False,
    root: Annotated[
        Path, typer.Option(help="The project root: nothing outside it is ever written.")
    ] = Path("."),
    workers: Annotated[int | None, typer.Option(min=1, help="Worker processes.")] = None,
    propagate: Annotated[
        bool, typer.Option("--propagate", help="Await propagation: turn every function whose "
                           "blocking calls the recipe converts into async def, and await its "
                           "call sites (ASY901/ASY902).")
    ] = False,
    json_report: Annotated[
        bool, typer.Option("--json", help="Print the per-file results as JSON.")
    ] = False,
    package: Annotated[
        str | None, typer.Option(help="The twin package (default: <legacy package>_async).")
    ] = None,
) -> None:
    """Migrate endpoints (their async twins and the combined app), or run a --recipe over
    files. Shows a diff by default (exit 1 when something would change)."""
    writing = write or in_place
    if recipe is None:
        _apply_endpoints([str(p) for p in paths], root, writing, allow_dirty, package)
        return
    try:
        with progress("rewriting") as report:
            run = api.apply_recipe(paths, recipe, only=_ids(only), skip=_ids(skip), root=root,
                                   write=writing, allow_dirty=allow_dirty, workers=workers,
                                   progress=report, propagate=propagate)
    except AsyncifyError as exc:
        say(f"asyncify: error: {exc}")
        raise typer.Exit(2) from None
    for outcome in run.outcomes:
        if outcome.status in ("failed", "skipped"):
            say(f"{outcome.path}: {outcome.status}: {outcome.reason}")
        for todo in outcome.todos:
            say(f"{outcome.path}:{todo.line}: {todo.rule}: {todo.message}")
    if json_report:
        sys.stdout.write(json.dumps({
            "rules": run.rules,
            "journal": run.journal,
            "files": [
                {"path": o.path, "status": o.status, "reason": o.reason, "rules": o.rules,
                 "todos": [vars(t) for t in o.todos], "written": o.path in run.written}
                for o in run.outcomes
            ],
        }, indent=1) + "\n")
    elif not writing:
        for outcome in run.outcomes:
            sys.stdout.write(outcome.diff)
    changed, failed = run.count("changed"), run.count("failed")
    verb = "rewrote" if writing else "would rewrite"
    say(f"asyncify: {verb} {changed} file(s), {run.count('unchanged')} unchanged, "
         f"{failed} failed, {run.count('skipped')} skipped"
         + (f"; undo with: asyncify undo --run {run.journal}" if run.journal else ""))
    if failed or (changed and not writing):
        raise typer.Exit(1)


def _apply_endpoints(
    names: list[str], root: Path, writing: bool, allow_dirty: bool, package: str | None
) -> None:
    try:
        migration = api.apply_endpoints(names, root=root, write=writing,
                                        allow_dirty=allow_dirty, package=package)
    except AsyncifyError as exc:
        say(f"asyncify: error: {exc}")
        raise typer.Exit(2) from None
    changed = [o for o in migration.outcomes if o.status == "changed"]
    for outcome in migration.outcomes:
        if outcome.status == "failed":
            say(f"{outcome.path}: failed: {outcome.reason}")
        elif outcome.reason and outcome.status in ("changed", "unchanged"):
            for todo in outcome.reason.splitlines():
                if outcome.status == "changed" or "legacy app" in todo:
                    say(f"{outcome.path}:{todo}")
        if not writing:
            sys.stdout.write(outcome.diff)
    verb = "wrote" if writing else "would write"
    say(f"asyncify: {verb} {len(changed)} file(s) of {migration.package} for "
        f"{len(migration.endpoints)} endpoint(s); serve it with: uvicorn "
        f"{migration.entry}"
        + (f" --app-dir {migration.app_dir}" if migration.app_dir else "")
        + (f"; undo with: asyncify undo --run {migration.journal}" if migration.journal else ""))
    if any(o.status == "failed" for o in migration.outcomes) or (changed and not writing):
        raise typer.Exit(1)


def undo(
    root: Annotated[Path, typer.Option(help="The project root the run wrote to.")] = Path("."),
    run: Annotated[str | None, typer.Option(help="Undo this run (default: the latest).")] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Restore even files edited since.")
    ] = False,
) -> None:
    """Restore the exact bytes an apply run replaced."""
    try:
        restored = api.undo(root, run=run, force=force)
    except AsyncifyError as exc:
        say(f"asyncify: error: {exc}")
        raise typer.Exit(2) from None
    for path in restored:
        say(f"restored {path}")
