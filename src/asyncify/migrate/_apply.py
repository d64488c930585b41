"""`asyncify apply ENDPOINT…`: the async twins of the chosen endpoints and of every helper
they reach that does I/O, and the combined app that serves them in front of the legacy app.

Everything is regenerated from the legacy code on each run, for the union of the endpoints
applied so far (kept in the twin package's ``migrated.txt``): applying the same endpoint again
changes nothing, applying another merges it in, and the legacy files are never written.
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._callgraph import CallGraph
from .._endpoints import Endpoint
from .._recipe_run import unified_diff, write_outcomes
from .._scope import settled_contexts
from .._write import refuse_dirty
from ..codemods import REGISTRY, FileContext, Outcome
from ..errors import UsageError
from ._adopt import Adoption, Trees, candidates, unsettled
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
    files = sorted({f.module.file.relpath for f in graph.functions.values()})
    handlers = {q for e in selected for q in e.handlers.values()}
    related = relationships(m.file.path for m in graph.resolver.index.modules.values())
    decision = _decide(graph, files, rules, handlers)
    outcomes, staying, twins = _build(root, graph, rules, handlers, decision, package, top,
                                      related)
    if staying:
        # Handlers that stay on the legacy app (a streamed response...) do not hold back the
        # adoption of a client the other twins use.
        again = _decide(graph, files, rules, handlers - staying)
        if again.adoption.classes > decision.adoption.classes:
            decision = again
            outcomes, staying, twins = _build(root, graph, rules, handlers, decision, package,
                                              top, related)
    result.outcomes.extend(outcomes)
    for init in _package_inits(root, package, [o.path for o in result.outcomes]):
        result.outcomes.append(_outcome(root, init, b"", []))
    # The legacy hooks, when none of them does I/O, run on the event loop (compat.combine).
    hooks = sorted({hook for e in endpoints for hook in e.hooks})
    pure_hooks = [] if any(hook in graph.blocking for hook in hooks) else hooks
    # Clients the twins reach but could not adopt: said once, with the entry point.
    refused = [f" {cls} keeps sync methods in the twins: the legacy app creates it, and it "
               f"is not adopted ({why})" for cls, why in sorted(decision.adoption.refused.items())]
    result.outcomes.append(_outcome(root, f"{package}/main.py",
                                    combined_app(selected, twins, factory,
                                                 pure_hooks).encode(), refused))
    result.outcomes.append(_outcome(root, f"{package}/standalone.py",
                                    standalone_app(selected, endpoints, twins, {
        e.id for e in selected if any(h == s or h.startswith(f"{s}.")  # a class view's methods
                                      for h in e.handlers.values() for s in staying)
    }, factory, pure_hooks).encode(), []))
    result.outcomes.append(_outcome(root, f"{package}/{MANIFEST}",
                                    "".join(f"{i}\n" for i in applied).encode(), []))
    if write:
        result.written, result.journal = write_outcomes(
            root, "apply " + " ".join(e.id for e in chosen), result.outcomes)
    return result


@dataclass
class _Decision:
    reached: Mapping[str, object]  # the functions the handlers reach
    adoption: Adoption
    contexts: dict[str, FileContext]


def _decide(graph: CallGraph, files: list[str], rules: list[str],
            handlers: set[str]) -> _Decision:
    """What turns async in the twins of ``handlers``, and which legacy-created objects they
    adopt."""
    functions = graph.functions
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
    legacy_classes = {fn.cls for fn in functions.values()
                      if fn.cls is not None and fn.cls not in created}
    # A client class the legacy code creates is adopted when it can be (see _adopt): its
    # twin methods then convert too.
    trees: Trees = {}
    adoption = candidates(graph, twin_side, legacy_classes, trees)
    while True:
        # (Only their methods that do I/O: a pure method staying sync holds nobody back.)
        legacy_objects = {
            name for name, fn in functions.items()
            if fn.cls in legacy_classes and fn.cls not in adoption.classes
            and name in graph.blocking
        }
        contexts = settled_contexts(graph, files, rules, legacy_objects, converts(rules),
                                    in_place=False, adopted=adoption.classes)
        failed = unsettled(graph, adoption, reached,
                           functools.partial(_is_async, graph, contexts), trees)
        if not failed:
            return _Decision(reached, adoption, contexts)
        adoption = adoption.without(failed)


def _build(
    root: Path, graph: CallGraph, rules: list[str], handlers: set[str], decision: _Decision,
    package: str, top: str, related: Any,
) -> tuple[list[Outcome], set[str], dict[str, str]]:
    """The twin modules (outcomes), the handlers that stay on the legacy app, and the twin
    module of each legacy module."""
    functions = graph.functions
    contexts, adoption = decision.contexts, decision.adoption
    in_scope = handlers | {
        name for name in decision.reached
        if name in graph.blocking and name in functions
        and functions[name].summary.qualname
        in contexts[functions[name].module.file.relpath].make_async
    }
    modules: dict[str, set[str]] = {}
    for name in in_scope | {g for found in adoption.getters.values() for g in found}:
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
    outcomes: list[Outcome] = []
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
            blocked=context.blocked, callees=context.callees, adopted=context.adopted,
        )
        keep = frozenset(q.partition(".")[0] for q in local) | frozenset(local)
        local_handlers = frozenset(
            functions[h].summary.qualname for h in handlers
            if h in functions and functions[h].module.name == module_name)
        twin = TwinModule(module_name, twins[module_name], twin_rel, keep, local_handlers,
                          *_adopted_here(graph, adoption, module_name, twins),
                          frozenset(g for found in adoption.getters.values() for g in found))
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
            outcomes.append(Outcome(twin_rel, "failed", str(exc)))
            continue
        outcomes.append(_outcome(root, twin_rel, new, todos))
        staying.update(f"{module_name}.{name}" for name in left)
    return outcomes, staying, twins


def _is_async(graph: CallGraph, contexts: Mapping[str, FileContext], name: str) -> bool:
    fn = graph.functions[name]
    context = contexts.get(fn.module.file.relpath)
    return fn.summary.is_async or (context is not None
                                   and fn.summary.qualname in context.make_async)


def _adopted_here(graph: CallGraph, adoption: Adoption, module: str,
                  twins: dict[str, str]) -> tuple[frozenset[str], tuple[tuple[str, str, str], ...]]:
    """The adopted classes of ``module`` and its getters, for :class:`TwinModule`."""
    functions = graph.functions
    classes = frozenset(c.removeprefix(module + ".") for c in adoption.classes
                        if c.rpartition(".")[0] == module)
    getters = []
    for cls, found in sorted(adoption.getters.items()):
        home, _, name = cls.rpartition(".")
        for getter in found:
            if functions[getter].module.name == module:
                getters.append((functions[getter].summary.qualname, name, twins[home]))
    return classes, tuple(getters)


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
