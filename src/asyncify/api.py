"""The Python API behind the command line: each function is one user-facing job."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

from . import __version__, _journal
from ._callgraph import CallGraph, build_callgraph
from ._catalog import Catalog, load_catalog
from ._diagnostics import Diagnostic
from ._index import Index, IndexBuilder, Progress
from ._project import discover
from ._recipe_run import RecipeRun, run_recipe
from .codemods import select
from .errors import UsageError
from .planner import Plan, build_plan

__all__ = ["analyse_project", "apply_recipe", "plan", "undo"]


def analyse_project(
    path: Path,
    *,
    use_cache: bool = True,
    workers: int | None = None,
    progress: Progress | None = None,
) -> tuple[Index, CallGraph, list[Diagnostic]]:
    """Discover, index and build the call graph of the project at ``path``.

    Never imports or runs the user's code. Bad files become diagnostics.

    :raises UsageError: ``path`` does not exist or holds no Python file.
    :raises ConfigError: ``[tool.asyncify]`` is invalid.
    """
    builder, catalog, diagnostics = _start(path, use_cache, workers, progress)
    index = builder.build()
    graph = build_callgraph(index, catalog)
    return index, graph, diagnostics + index.diagnostics


def _start(
    path: Path, use_cache: bool, workers: int | None, progress: Progress | None
) -> tuple[IndexBuilder, Catalog, list[Diagnostic]]:
    project = discover(path)
    if not project.files:
        raise UsageError(f"no Python files under {str(path)!r} (pass the project's directory)")
    diagnostics: list[Diagnostic] = []
    catalog = load_catalog(project.config.catalog, diagnostics=diagnostics)
    builder = IndexBuilder(project, use_cache=use_cache, workers=workers, progress=progress)
    return builder, catalog, diagnostics


def plan(
    path: Path,
    *,
    use_cache: bool = True,
    workers: int | None = None,
    progress: Progress | None = None,
) -> Plan:
    """Rank the endpoints of the Flask project at ``path`` for an async migration.

    :raises UsageError: ``path`` does not exist or holds no Python file.
    :raises ConfigError: ``[tool.asyncify]`` is invalid.
    """
    started = time.perf_counter()
    builder, catalog, diagnostics = _start(path, use_cache, workers, progress)
    # An unchanged project (same files, same catalog, same asyncify) gets the stored plan.
    key = "\0".join(["plan", __version__, catalog.fingerprint, str(path), builder.scan()])
    cached = builder.cache.result(key) if use_cache else None
    if isinstance(cached, Plan):
        cached.parsed = 0
        cached.seconds = time.perf_counter() - started
        return cached
    index = builder.build()
    graph = build_callgraph(index, catalog)
    result = build_plan(graph, str(path), len(index.project.files), index.lines, index.parsed)
    result.diagnostics = diagnostics + index.diagnostics + result.diagnostics
    if use_cache:
        builder.cache.store_result(key, result)
    result.seconds = time.perf_counter() - started
    return result


def apply_recipe(
    paths: Sequence[Path],
    recipe: str,
    *,
    only: Sequence[str] = (),
    skip: Sequence[str] = (),
    root: Path = Path("."),
    write: bool = False,
    allow_dirty: bool = False,
    workers: int | None = None,
    progress: Progress | None = None,
) -> RecipeRun:
    """Run a recipe's rules over ``paths``; with ``write``, write the changed files
    (atomically, journaled for :func:`undo`, never outside ``root``).

    :raises UsageError: unknown recipe or rule ID, missing path, or a dirty git tree when
        writing without ``allow_dirty``.
    """
    rules = select(recipe, only, skip)
    return run_recipe(paths, rules, root=root, write=write, allow_dirty=allow_dirty,
                      workers=workers, progress=progress)


def undo(root: Path = Path("."), *, run: str | None = None, force: bool = False) -> list[str]:
    """Restore the bytes the latest (or the named) apply run replaced; return the paths.

    :raises UsageError: nothing to undo. :raises InputError: a file changed since (``force``).
    """
    return _journal.undo(root.resolve(), run=run, force=force)
