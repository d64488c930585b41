"""`asyncify apply ENDPOINT…`: the async twins of the chosen endpoints and of every helper
they reach that does I/O, and the combined app that serves them in front of the legacy app.

Everything is regenerated from the legacy code on each run, for the union of the endpoints
applied so far (kept in the twin package's ``migrated.txt``): applying the same endpoint again
changes nothing, applying another merges it in, and the legacy files are never written.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .._callgraph import CallGraph
from .._endpoints import Endpoint
from .._recipe_run import unified_diff, write_outcomes
from .._scope import settled_contexts
from .._write import refuse_dirty
from ..codemods import REGISTRY, FileContext, Outcome
from ..errors import UsageError
from ._entry import combined_app, standalone_app
from ._factory import factory_call
from ._sqla import converts, relationships, request_session_pass
from ._twins import TwinModule, build_twin, twin_name

MANIFEST = "migrated.txt"


@dataclass
class Migration:
    root: Path
    package: str
    endpoints: list[Endpoint]
    outcomes: list[Outcome] = field(default_factory=list)
    written: list[str] = field(default_factory=list)
    journal: str | None = None


def select(endpoints: Sequence[Endpoint], names: Sequence[str]) -> list[Endpoint]:
    """The endpoints ``names`` denote: a handler id, a Flask endpoint name, or ``METHOD /path``.

    :raises UsageError: a name matches no endpoint (with a "did you mean").
    """
    chosen: list[Endpoint] = []
    for name in names:
        method, _, path = name.partition(" ")
        found = [
            e for e in endpoints
            if name in (e.id, e.name, e.view)
            or (path and e.path == path.strip() and method.upper() in e.methods)
        ]
        if not found:
            known = [e.id for e in endpoints] + [f"{m} {e.path}" for e in endpoints
                                                 for m in e.methods]
            close = difflib.get_close_matches(name, known, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else " (see `asyncify plan`)"
            raise UsageError(f"unknown endpoint {name!r}{hint}")
        chosen.extend(e for e in found if e not in chosen)
    for endpoint in chosen:
        if "<locals>" in endpoint.view or (
            endpoint.owner_kind == "blueprint" and "<locals>" in endpoint.owner
        ):
            raise UsageError(f"endpoint {endpoint.id!r} is declared on the app itself, inside "
                             "a function (a closure in the app factory, or a blueprint made "
                             "there): its twin could not be imported (define the view, or the "
                             "blueprint, at module level)")
        if endpoint.owner_kind == "resource":
            raise UsageError(
                f"endpoint {endpoint.id!r} ({endpoint.file}:{endpoint.line}) is served by the "
                f"REST Resource class {endpoint.view}: flask-restx / Flask-RESTful call its "
                "methods themselves, so a twin could not be routed; it stays served by the legacy "
                "app (to migrate it, rewrite it as an @app.route/@bp.route function or a "
                "MethodView, then apply that)")
        if endpoint.dynamic:
            raise UsageError(f"endpoint {endpoint.id!r} is registered with a computed rule; "
                             "asyncify cannot give it a route (write the rule as a literal)")
    return chosen


def migrate(
    root: Path, graph: CallGraph, endpoints: Sequence[Endpoint], chosen: Sequence[Endpoint],
    *, package: str | None = None, write: bool = False, allow_dirty: bool = False,
) -> Migration:
    """Generate (and with ``write``, write) the twins and the combined app."""
    root = root.resolve()
    if write:
        refuse_dirty(root, allow_dirty)
    factory = factory_call(root, graph, chosen[0])
    top = chosen[0].view.partition(".")[0]
    package = package or f"{top}_async"
    manifest = root / package / MANIFEST
    applied = [e.id for e in chosen]
    if manifest.is_file():
        previous = [line.strip() for line in manifest.read_text().splitlines() if line.strip()]
        applied = list(dict.fromkeys([*previous, *applied]))
    by_id = {e.id: e for e in endpoints}
    selected = [by_id[i] for i in applied if i in by_id]
    result = Migration(root, package, selected)

    rules = [rule.id for rule in REGISTRY]
    functions = graph.functions
    files = sorted({f.module.file.relpath for f in functions.values()})
    handlers = {q for e in selected for q in e.handlers.values()}
    reached = graph.reach(handlers)
    # A twin class is only used where twin code creates the object: methods of objects the
    # legacy code builds (in its app factory, at import time) keep their sync legacy class.
    # Only functions that will have a twin (handlers, and helpers that do I/O) create twin
    # objects; a pure legacy helper (a factory, a cached getter) creates legacy ones.
    twin_side = {name for name in reached if name in handlers or name in graph.blocking}
    created = {
        edge.callee.rpartition(".")[0]
        for name in twin_side for edge in graph.edges.get(name, ())
        if edge.kind == "call" and edge.callee.endswith(".__init__")
    }
    # A class-based view is created by the route for each request (compat.class_view), in
    # the twin: its methods follow the twin's decisions.
    created |= {functions[h].cls or "" for h in handlers if h in functions}
    legacy_objects = {
        name for name, fn in functions.items()
        if fn.cls is not None and fn.cls not in created
    }
    contexts = settled_contexts(graph, files, rules, legacy_objects, converts(rules),
                                in_place=False)
    related = relationships(m.file.path for m in graph.resolver.index.modules.values())
    in_scope = {
        name for name in reached
        if name in handlers or (
            name in graph.blocking
            and functions[name].summary.qualname
            in contexts[functions[name].module.file.relpath].make_async
        )
    }
    modules: dict[str, set[str]] = {}
    for name in in_scope:
        if name in functions:
            fn = functions[name]
            modules.setdefault(fn.module.name, set()).add(fn.summary.qualname)
    twins = {m: twin_name(m, package) for m in modules}
    # Top-level names each twin defines (its converted functions and the classes owning
    # converted methods): an import of one of them must come from the twin.
    converted_by_module = {
        m: frozenset(q.partition(".")[0] for q in local) for m, local in modules.items()
    }
    index = graph.resolver.index
    staying: set[str] = set()  # handlers whose endpoint layer could not be converted
    for module_name, local in sorted(modules.items()):
        module = index.modules[module_name]
        legacy_rel = module.file.relpath
        twin_rel = _twin_path(legacy_rel, top, package)
        context = contexts[legacy_rel]
        narrowed = FileContext(
            module=context.module,
            make_async=context.make_async & frozenset(local),
            await_at=context.await_at, bridge_at=context.bridge_at, sites=context.sites,
            blocked=context.blocked, callees=context.callees,
        )
        keep = frozenset(q.partition(".")[0] for q in local) | frozenset(local)
        local_handlers = frozenset(
            functions[h].summary.qualname for h in handlers
            if h in functions and functions[h].module.name == module_name)
        twin = TwinModule(module_name, twins[module_name], twin_rel, keep, local_handlers)
        legacy_names = [*module.summary.functions, *module.summary.classes,
                        *(b[0] for b in module.summary.body.bindings if b[2] == "=")]
        source = module.file.path.read_bytes()
        try:
            new, todos, left = build_twin(twin, source, rules, narrowed, twins,
                                    [n for n in legacy_names if "." not in n],
                                    module.file.is_package, graph.resolver.canonical,
                                    converted_by_module,
                                    request_session_pass(local_handlers, related, top))
        except ValueError as exc:
            result.outcomes.append(Outcome(twin_rel, "failed", str(exc)))
            continue
        result.outcomes.append(_outcome(root, twin_rel, new, todos))
        staying.update(f"{module_name}.{name}" for name in left)
    for init in _package_inits(root, package, [o.path for o in result.outcomes]):
        result.outcomes.append(_outcome(root, init, b"", []))
    result.outcomes.append(_outcome(root, f"{package}/main.py",
                                    combined_app(selected, twins, factory).encode(), []))
    result.outcomes.append(_outcome(root, f"{package}/standalone.py",
                                    standalone_app(selected, endpoints, twins, {
        e.id for e in selected if any(h == s or h.startswith(f"{s}.")  # a class view's methods
                                      for h in e.handlers.values() for s in staying)
    }, factory).encode(), []))
    result.outcomes.append(_outcome(root, f"{package}/{MANIFEST}",
                                    "".join(f"{i}\n" for i in applied).encode(), []))
    if write:
        result.written, result.journal = write_outcomes(
            root, "apply " + " ".join(e.id for e in chosen), result.outcomes)
    return result


def _twin_path(relpath: str, top: str, package: str) -> str:
    parts = relpath.split("/")
    index = parts.index(top)
    return "/".join([*parts[:index], package, *parts[index + 1:]])


def _package_inits(root: Path, package: str, paths: list[str]) -> list[str]:
    inits = set()
    for path in paths:
        parts = path.split("/")[:-1]
        for depth in range(parts.index(package) + 1, len(parts) + 1):
            inits.add("/".join([*parts[:depth], "__init__.py"]))
    return sorted(i for i in inits if i not in paths)


def _outcome(root: Path, relpath: str, new: bytes, todos: list[str]) -> Outcome:
    target = root / relpath
    old = target.read_bytes() if target.exists() else None
    if old == new:
        return Outcome(relpath, "unchanged", "; ".join(todos))
    return Outcome(relpath, "changed", "; ".join(todos), new=new,
                   diff=unified_diff(relpath, old, new))
