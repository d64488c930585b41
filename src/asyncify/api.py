"""The Python API behind the command line: each function is one user-facing job."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from . import __version__, _journal
from ._callgraph import CallGraph, build_callgraph
from ._catalog import Catalog, load_catalog
from ._config import tool_table
from ._diagnostics import Diagnostic
from ._index import Index, IndexBuilder, Progress, paused_gc
from ._project import discover
from .check import CheckReport, find_all, load_settings, read_baseline, subtract
from .check import select as select_findings
from .errors import UsageError
from .planner import Plan, build_plan, merge_profile
from .profile import load_profiles

if TYPE_CHECKING:
    from ._recipe_run import RecipeRun
    from .migrate import Migration
    from .verify import VerifyReport

__all__ = ["analyse_project", "apply_endpoints", "apply_recipe", "check", "plan", "undo", "verify"]


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
    profiles: Sequence[Path] = (),
    profile_progress: Progress | None = None,
) -> Plan:
    """Rank the endpoints of the Flask project at ``path`` for an async migration.

    ``profiles``: files (or directories of files) written by :mod:`asyncify.profile`, OTLP
    JSON span exports or access logs; their measurements are merged into the ranking. The
    static plan is cached on its own; profiles are merged on top on every run.

    :raises UsageError: ``path`` or a profile does not exist, or ``path`` holds no Python file.
    :raises ConfigError: ``[tool.asyncify]`` is invalid.
    """
    started = time.perf_counter()
    measured = load_profiles(profiles, profile_progress) if profiles else None
    result = _static_plan(path, use_cache, workers, progress)
    if measured is not None:
        result = merge_profile(result, measured)
    result.seconds = time.perf_counter() - started
    return result


def _static_plan(
    path: Path, use_cache: bool, workers: int | None, progress: Progress | None
) -> Plan:
    builder, catalog, diagnostics = _start(path, use_cache, workers, progress)
    # An unchanged project (same files, same catalog, same asyncify) gets the stored plan.
    key = "\0".join(["plan", __version__, catalog.fingerprint, str(path), builder.scan()])
    cached = builder.cache.result(key) if use_cache else None
    if isinstance(cached, Plan):
        cached.parsed = 0
        return cached
    with paused_gc():
        index = builder.build()
        graph = build_callgraph(index, catalog)
        result = build_plan(graph, str(path), len(index.project.files), index.lines,
                            index.parsed)
    result.diagnostics = diagnostics + index.diagnostics + result.diagnostics
    if use_cache:
        builder.cache.store_result(key, result)
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
    propagate: bool = False,
) -> RecipeRun:
    """Run a recipe's rules over ``paths``; with ``write``, write the changed files
    (atomically, journaled for :func:`undo`, never outside ``root``).

    :raises UsageError: unknown recipe or rule ID, missing path, or a dirty git tree when
        writing without ``allow_dirty``.
    """
    # libcst is imported only here: plan and check start faster without it.
    from ._recipe_run import run_recipe
    from .codemods import select

    rules = select(recipe, only, skip)
    return run_recipe(paths, rules, root=root, write=write, allow_dirty=allow_dirty,
                      workers=workers, progress=progress, propagate=propagate)


def apply_endpoints(
    names: Sequence[str],
    *,
    root: Path = Path("."),
    write: bool = False,
    allow_dirty: bool = False,
    package: str | None = None,
) -> Migration:
    """Write the async twins of the endpoints ``names`` (handler ids, Flask endpoint names or
    ``METHOD /path``) and of every helper they reach that does I/O, beside the legacy code, and
    the entry points that serve them (``<package>/main.py``, the combined app, and
    ``<package>/standalone.py``). Legacy files are never written.

    :raises UsageError: an unknown endpoint (with a "did you mean"), an endpoint whose view is
        a closure (defined inside the app factory) or has a computed rule, or a dirty git tree
        when writing.
    """
    from ._endpoints import discover_endpoints
    from .migrate import migrate, select

    _, graph, _ = analyse_project(root)
    endpoints, _ = discover_endpoints(graph.resolver)
    chosen = select(endpoints, names)
    return migrate(root, graph, endpoints, chosen, package=package, write=write,
                   allow_dirty=allow_dirty)


def undo(root: Path = Path("."), *, run: str | None = None, force: bool = False) -> list[str]:
    """Restore the bytes the latest (or the named) apply run replaced; return the paths.

    :raises UsageError: nothing to undo. :raises InputError: a file changed since (``force``).
    """
    return _journal.undo(root.resolve(), run=run, force=force)


def check(
    path: Path,
    *,
    select_rules: Sequence[str] | None = None,
    ignore_rules: Sequence[str] | None = None,
    baseline: Path | None = None,
    use_baseline: bool = True,
    use_cache: bool = True,
    workers: int | None = None,
    progress: Progress | None = None,
) -> CheckReport:
    """Lint the project at ``path`` for blocking calls reachable from async code.

    ``select_rules``/``ignore_rules`` (rule IDs or prefixes) and ``baseline`` override
    ``[tool.asyncify.check]``; findings already in the baseline are left out.

    :raises UsageError: ``path`` holds no Python file, a rule code is unknown, or the
        baseline file is unreadable.
    :raises ConfigError: ``[tool.asyncify]`` is invalid.
    """
    started = time.perf_counter()
    builder, catalog, diagnostics = _start(path, use_cache, workers, progress)
    settings = load_settings(builder.project.root)
    key = "\0".join(["check", __version__, catalog.fingerprint, str(path), builder.scan()])
    cached = builder.cache.result(key, "check") if use_cache else None
    if isinstance(cached, CheckReport):
        report = cached
        report.parsed = 0
    else:
        index = builder.build()
        graph = build_callgraph(index, catalog)
        report = CheckReport(str(path), find_all(graph), index.diagnostics,
                             len(index.project.files), index.lines, parsed=index.parsed)
        if use_cache:
            builder.cache.store_result(key, report, "check")
    report.diagnostics = diagnostics + report.diagnostics
    only = settings.select if select_rules is None else tuple(select_rules)
    skip = settings.ignore if ignore_rules is None else tuple(ignore_rules)
    report.findings = select_findings(report.findings, only, skip)
    known = baseline if baseline is not None else settings.baseline
    if known is not None and use_baseline:
        kept = subtract(report.findings, read_baseline(known))
        report.baselined = len(report.findings) - len(kept)
        report.findings = kept
    report.seconds = time.perf_counter() - started
    return report


def verify(
    path: Path,
    *,
    legacy: str,
    candidate: str,
    samples: Path | None = None,
    generate: bool = True,
    endpoints: Sequence[str] = (),
    overrides: Mapping[str, object] | None = None,
) -> VerifyReport:
    """Send the same requests to ``legacy`` and ``candidate`` and report every difference.

    Each target is a base URL or an app spec (``wsgi:module:factory()`` under gunicorn,
    ``asgi:module:app`` under uvicorn) started from ``path`` on a free 127.0.0.1 port.
    Requests come from the route table of the project at ``path`` (``generate``; only the
    ``endpoints`` ids when given) and from the ``samples`` JSON Lines file. ``overrides``
    (same keys as ``[tool.asyncify.verify]``) replace the configured values.

    :raises UsageError: a target is unreachable or a bad spec, the samples file is malformed
        or names an unknown endpoint, or an endpoint id is unknown.
    :raises ConfigError: ``[tool.asyncify.verify]`` (or ``overrides``) is invalid.
    :raises ServerError: an app asyncify started exited or never answered.
    """
    from . import verify as _verify

    _, table = tool_table(path)
    configured = table.get("verify", {})
    raw = {**(configured if isinstance(configured, dict) else {}), **(overrides or {})}
    settings = _verify.parse_settings(raw, f"{path / 'pyproject.toml'} + options")
    routes = [
        _verify.Route(e.id, e.methods, e.path)
        for e in (row.analysis.endpoint for row in plan(path).endpoints)
    ]
    known = {route.id for route in routes}
    unknown = [ident for ident in [*endpoints, *settings.endpoints] if ident not in known]
    if unknown:
        raise UsageError(f"unknown endpoint id(s) {unknown!r} (see `asyncify plan {path}` for "
                         "the ids)")
    chosen = [r for r in routes if not endpoints or r.id in endpoints]
    requests = _verify.from_routes(chosen, settings) if generate else []
    if samples is not None:
        requests += _verify.read_samples(samples, routes)
    if not requests:
        raise UsageError("nothing to send: no generated requests and no samples "
                         "(pass --samples FILE or drop --no-generate)")
    return _verify.run(requests, legacy=legacy, candidate=candidate, settings=settings,
                       app_dir=path)
