"""The Python API behind the command line: each function is one user-facing job."""

from __future__ import annotations

import time
from pathlib import Path

from ._callgraph import CallGraph, build_callgraph
from ._catalog import load_catalog
from ._diagnostics import Diagnostic
from ._index import Index, Progress, build_index
from ._project import discover
from .errors import UsageError
from .planner import Plan, build_plan

__all__ = ["analyse_project", "plan"]


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
    project = discover(path)
    if not project.files:
        raise UsageError(f"no Python files under {str(path)!r} (pass the project's directory)")
    diagnostics: list[Diagnostic] = []
    catalog = load_catalog(project.config.catalog, diagnostics=diagnostics)
    index = build_index(project, use_cache=use_cache, workers=workers, progress=progress)
    graph = build_callgraph(index, catalog)
    return index, graph, diagnostics + index.diagnostics


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
    index, graph, diagnostics = analyse_project(
        path, use_cache=use_cache, workers=workers, progress=progress)
    result = build_plan(graph, str(path), len(index.project.files), index.lines, index.parsed)
    result.diagnostics = diagnostics + result.diagnostics
    result.seconds = time.perf_counter() - started
    return result
