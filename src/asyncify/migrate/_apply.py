"""`asyncify apply ENDPOINT…`: the async twins of the chosen endpoints and of every helper
they reach that does I/O, and the combined app that serves them in front of the legacy app.

Everything is regenerated from the legacy code on each run, for the union of the endpoints
applied so far (kept in the twin package's ``migrated.txt``): applying the same endpoint again
changes nothing, applying another merges it in, and the legacy files are never written.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import libcst as cst

from .._callgraph import CallGraph
from .._endpoints import Endpoint
from .._recipe_run import unified_diff, write_outcomes
from .._scope import settled_contexts
from .._write import refuse_dirty
from ..codemods import REGISTRY, FileContext, Outcome
from ..compat import COMBINED_MODULES
from ..errors import UsageError
from ._adopt import Adoption, Trees, candidates, unsettled
from ._entry import combined_app, standalone_app
from ._factory import factory_call
from ._owners import Foreign, foreign_apps, foreign_owners, router_twin, with_blueprints
from ._sqla import converts, relationships, request_session_pass
from ._tidy import tidy
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
    # The combined app to serve (``uvicorn <entry>``): ``<package>.main:app``, unless a twin
    # module is called ``main``.
    entry: str = ""
    # Where to serve it from, relative to the root (``src`` for a src/ layout), or "".
    app_dir: str = ""


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
    # Beside the legacy top-level package or module: src/shop → src/shop_async.
    package_dir = _package_dir(graph, top, package)
    where = package_dir.rpartition("/")[0]
    manifest = root / package_dir / MANIFEST
    applied = [e.id for e in chosen]
    if manifest.is_file():
        previous = [line.strip() for line in manifest.read_text().splitlines() if line.strip()]
        applied = list(dict.fromkeys([*previous, *applied]))
    by_id = {e.id: e for e in endpoints}
    selected = [by_id[i] for i in applied if i in by_id]
    # The package mirrors the top-level package of its first endpoint, from run to run;
    # other top-level packages' modules nest in it (twin_name).
    top = (selected or list(chosen))[0].view.partition(".")[0]
    result = Migration(root, package, selected)

    rules = [rule.id for rule in REGISTRY]
    files = sorted({f.module.file.relpath for f in graph.functions.values()})
    handlers = {q for e in selected for q in e.handlers.values()}
    related = relationships(m.file.path for m in graph.resolver.index.modules.values())
    decision = _decide(graph, files, rules, handlers)
    source = _reader(graph)
    foreign = _foreign(graph, selected, source)
    outcomes, staying, twins, registering = _build(root, graph, rules, handlers, decision,
                                                   package, top, related, source, *foreign)
    if staying:
        # Handlers that stay on the legacy app (a streamed response...) do not hold back the
        # adoption of a client the other twins use.
        again = _decide(graph, files, rules, handlers - staying)
        if again.adoption.classes > decision.adoption.classes:
            decision = again
            outcomes, staying, twins, registering = _build(
                root, graph, rules, handlers, decision, package, top, related, source,
                *foreign)
    result.outcomes.extend(outcomes)
    for init in _package_inits(root, package, [o.path for o in result.outcomes]):
        result.outcomes.append(_outcome(root, init, b"", []))
    # The legacy hooks, when none of them does I/O, run on the event loop (compat.combine).
    hooks = sorted({hook for e in endpoints for hook in e.hooks})
    pure_hooks = [] if any(hook in graph.blocking for hook in hooks) else hooks
    # Clients the twins reach but could not adopt: said once, with the entry point.
    refused = [f" {cls} keeps sync methods in the twins: the legacy app creates it, and it "
               f"is not adopted ({why})" for cls, why in sorted(decision.adoption.refused.items())]
    # A twin module of the same name (the Flask Mega-Tutorial's ``app.main`` blueprint
    # package) would shadow the entry point: it gets another name.
    taken = {t.split(".")[1] for t in twins.values() if t.count(".")}
    combined_name = _free(COMBINED_MODULES, taken)
    standalone_name = _free(("standalone", "standalone_app", "asgi_standalone"), taken)
    result.entry = f"{package}.{combined_name}:app"
    result.app_dir = where
    result.outcomes.append(_outcome(root, f"{package_dir}/{combined_name}.py",
                                    combined_app(selected, twins, factory, pure_hooks,
                                                 registering).encode(), refused))
    result.outcomes.append(_outcome(root, f"{package_dir}/{standalone_name}.py",
                                    standalone_app(selected, endpoints, twins, {
        e.id for e in selected if any(h == s or h.startswith(f"{s}.")  # a class view's methods
                                      for h in e.handlers.values() for s in staying)
    }, factory, pure_hooks, registering).encode(), []))
    result.outcomes.append(_outcome(root, f"{package_dir}/{MANIFEST}",
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


def _reader(graph: CallGraph) -> Callable[[str], bytes | None]:
    """A legacy module's bytes by module name, each file read once per run (the foreign
    blueprint checks ask once per endpoint; the twins are built from the same bytes)."""
    modules = graph.resolver.index.modules

    @functools.cache
    def source(module: str) -> bytes | None:
        found = modules.get(module)
        return found.file.path.read_bytes() if found is not None else None

    return source


def _foreign(graph: CallGraph, selected: Sequence[Endpoint],
             source: Callable[[str], bytes | None],
             ) -> tuple[dict[str, list[Foreign]], dict[str, frozenset[str]]]:
    """The blueprints the selected views are declared on that other modules define, and
    the names of the apps views modules import to declare routes on (``_owners``).

    :raises UsageError: one the twins could not route (see :func:`foreign_owners`).
    """
    functions = graph.functions

    def handler_modules(endpoint: Endpoint) -> set[str]:
        return {functions[h].module.name for h in endpoint.handlers.values() if h in functions}

    try:
        return foreign_owners(selected, handler_modules, source, graph.resolver.canonical), \
            foreign_apps(selected, handler_modules, source, graph.resolver.canonical)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _build(
    root: Path, graph: CallGraph, rules: list[str], handlers: set[str], decision: _Decision,
    package: str, top: str, related: Any, read: Callable[[str], bytes | None],
    foreign: Mapping[str, list[Foreign]], apps: Mapping[str, frozenset[str]],
) -> tuple[list[Outcome], set[str], dict[str, str], dict[str, str]]:
    """The twin modules (outcomes), the handlers that stay on the legacy app, the twin
    module of each legacy module, and the twin modules whose views register on a router
    another twin module defines (→ that router, ``module.variable``).

    ``foreign``: per views module, the blueprints it declares views on that another module
    defines; the router each becomes lives in the twin of the defining module. ``apps``: per
    views module, the names of the apps it imports to declare routes on."""
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
    # Only views modules with a twin: a view that is not migrated keeps its legacy owner.
    foreign = {m: found for m, found in foreign.items() if m in modules}
    owners = {f.owner for found in foreign.values() for f in found}
    homes = sorted({owner.rpartition(".")[0] for owner in owners})
    twins = {m: twin_name(m, package, top) for m in [*modules, *homes]}
    clashes = sorted({t for t in twins.values() if list(twins.values()).count(t) > 1})
    if clashes:
        raise UsageError(
            f"the twins of {', '.join(sorted(m for m, t in twins.items() if t in clashes))} "
            f"would all be {', '.join(clashes)} (a module of {top!r} has the name of another "
            "top-level package): rename one, or apply the endpoints of each package with "
            "its own --package")
    # Top-level names each twin defines (its converted functions and the classes owning
    # converted methods, the routers of blueprints defined there): an import of one of them
    # must come from the twin.
    converted_by_module = {
        m: frozenset(q.partition(".")[0] for q in modules.get(m, ()))
        | {o.rpartition(".")[2] for o in owners if o.rpartition(".")[0] == m}
        for m in twins
    }
    index = graph.resolver.index
    outcomes: list[Outcome] = []
    staying: set[str] = set()  # handlers whose endpoint layer could not be converted
    routers: dict[str, cst.SimpleStatementLine] = {}  # blueprint → the router made of it
    registering: dict[str, str] = {}
    for module_name, local in sorted(modules.items()):
        module = index.modules[module_name]
        legacy_rel = module.file.relpath
        twin_rel = _twin_path(legacy_rel, module_name, twins[module_name], package)
        context = contexts[legacy_rel]
        narrowed = FileContext(
            module=context.module,
            make_async=context.make_async & frozenset(local),
            await_at=context.await_at, bridge_at=context.bridge_at, sites=context.sites,
            blocked=context.blocked, callees=context.callees, adopted=context.adopted,
            legacy_context=True,  # the twins answer inside the legacy request context
        )
        keep = frozenset(q.partition(".")[0] for q in local) | frozenset(local)
        local_handlers = frozenset(
            functions[h].summary.qualname for h in handlers
            if h in functions and functions[h].module.name == module_name)
        twin = TwinModule(module_name, twins[module_name], twin_rel, keep, local_handlers,
                          *_adopted_here(graph, adoption, module_name, twins),
                          frozenset(g for found in adoption.getters.values() for g in found),
                          apps.get(module_name, frozenset()), top)
        legacy_names = [*module.summary.functions, *module.summary.classes,
                        *(b[0] for b in module.summary.body.bindings if b[2] == "=")]
        source = read(module_name)
        assert source is not None  # an indexed module
        here = foreign.get(module_name, [])
        made: dict[str, cst.SimpleStatementLine | None] = {f.local: None for f in here}
        try:
            new, todos, left = build_twin(twin, with_blueprints(source, here) if here
                                    else source, rules, narrowed, twins,
                                    [n for n in legacy_names if "." not in n],
                                    module.file.is_package, graph.resolver.canonical,
                                    converted_by_module,
                                    request_session_pass(local_handlers, related,
                                                         module_name.partition(".")[0]), made,
                                    {name: [p for p, _ in f.params]
                                     for name, f in module.summary.functions.items()})
        except ValueError as exc:
            outcomes.append(Outcome(twin_rel, "failed", str(exc)))
            continue
        todos += _sync_handlers(graph, new, [
            h for h in handlers if h in functions and functions[h].module.name == module_name
            and not functions[h].summary.is_async
            and functions[h].summary.qualname not in narrowed.make_async
            and functions[h].summary.qualname not in narrowed.blocked])
        outcomes.append(_outcome(root, twin_rel, new, todos))
        staying.update(f"{module_name}.{name}" for name in left)
        for found in here:
            statement = made[found.local]
            if statement is not None:
                routers.setdefault(found.owner, statement)
                home, _, variable = found.owner.rpartition(".")
                registering.setdefault(twins[module_name], f"{twins[home]}.{variable}")
    for home in homes:
        if home in modules:
            continue  # its own twin (converted views or helpers) defines the router
        module = index.modules[home]
        twin_rel = _twin_path(module.file.relpath, home, twins[home], package)
        defined = dict.fromkeys([*module.summary.functions, *module.summary.classes,
                                 *(b[0] for b in module.summary.body.bindings)])
        here_routers = [(owner.rpartition(".")[2], statement)
                        for owner, statement in sorted(routers.items())
                        if owner.rpartition(".")[0] == home]
        if not here_routers:
            continue  # a views twin failed: said there
        tree = tidy(router_twin(home, here_routers, defined),
                    {top, home.partition(".")[0], package})
        note = [cst.EmptyLine(comment=cst.Comment(text)) for text in (
            f"# Async twin of {home}, written by `asyncify apply` (re-run it; do not edit).",
            "# It holds only the routers of the blueprints the module defines; everything else "
            "in it",
            "# is legacy code (the legacy app registers the blueprint and imports its views).")]
        outcomes.append(_outcome(root, twin_rel, tree.with_changes(header=note).bytes, []))
    return outcomes, staying, twins, registering


def _sync_handlers(graph: CallGraph, twin: bytes, names: Sequence[str]) -> list[str]:
    """Report lines for handlers that stay ``def`` in the twin though they do I/O no rule
    converted (a cursor on a connection kept in Flask's ``g``, a driver call whose receiver
    the index cannot type): they are served in a worker thread, as before, and ``plan``'s
    "convert" did not happen. (Handlers held back for a known reason carry an ASY901
    marker already.)"""
    lines = twin.decode("utf-8", "replace").splitlines()
    found = []
    for name in names:
        # Its own I/O first, else the nearest function it calls that does I/O (a helper
        # running sqlite3, which no rule converts).
        where = name
        sites = [s for s in graph.sites.get(name, ()) if s.operation.io]
        if not sites and name in graph.blocking:
            for reached in graph.reach([name]):
                sites = [s for s in graph.sites.get(reached, ()) if s.operation.io]
                if sites:
                    where = reached
                    break
        if not sites:
            continue
        short = graph.functions[name].summary.qualname.rpartition(".")[2]
        line = next((n for n, text in enumerate(lines, 1)
                     if re.match(rf"\s*def {re.escape(short)}\(", text)), 0)
        site = sites[0]
        why = " (its receiver's type is not known)" if site.confidence == "heuristic" else ""
        inside = ("" if where == name else
                  f" in {graph.functions[where].summary.qualname}()")
        if any(rule.converts_op(site.target) for rule in REGISTRY):
            advice = ("make its I/O visible to asyncify (a connection from a function, not "
                      "Flask's g) or convert it by hand")
        else:
            advice = f"no rule converts it: port it by hand ({site.operation.replacement})"
        found.append(f"{line}: {short} stays sync, served in a worker thread: "
                     f"{site.target}{inside} (legacy line {site.line}) is not converted{why}"
                     f"; {advice}")
    return found


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


def _free(names: Sequence[str], taken: set[str]) -> str:
    """The first of ``names`` no twin module takes.

    :raises UsageError: every one is taken.
    """
    for name in names:
        if name not in taken:
            return name
    raise UsageError(f"the twin package would hold modules named {', '.join(names)}: no "
                     "name left for its entry point")


def _twin_path(relpath: str, module: str, twin: str, package: str) -> str:
    """Where the twin ``twin`` of the legacy ``module`` (file ``relpath``) goes: its module
    path, beside the legacy top-level package (``src/shop/views.py`` →
    ``src/shop_async/views.py``). The twin package itself is a package: a single-module
    app's twin (``app.py`` → ``app``'s twin ``app_async``) is ``app_async/__init__.py``."""
    parts = relpath.split("/")
    is_init = parts[-1] == "__init__.py"
    prefix = parts[:len(parts) - len(module.split(".")) - is_init]
    names = twin.split(".")
    if is_init or twin == package:
        return "/".join([*prefix, *names, "__init__.py"])
    return "/".join([*prefix, *names[:-1], f"{names[-1]}.py"])


def _package_dir(graph: CallGraph, top: str, package: str) -> str:
    """The twin package's directory, relative to the root: where :func:`_twin_path` puts
    the twin of the legacy top-level package or module ``top`` (``src/shop_async`` for a
    src/ layout)."""
    module = graph.resolver.index.modules.get(top)
    if module is None:
        return package
    return _twin_path(module.file.relpath, top, package, package).rpartition("/")[0]


def _package_inits(root: Path, package: str, paths: list[str]) -> list[str]:
    inits = set()
    for path in paths:
        parts = path.split("/")[:-1]
        for depth in range(parts.index(package) + 1, len(parts) + 1):
            inits.add("/".join([*parts[:depth], "__init__.py"]))
    return sorted(i for i in inits if i not in paths)


def _outcome(root: Path, relpath: str, new: bytes, todos: list[str]) -> Outcome:
    """``todos``, one line each (a message may hold ``;``), make the reason."""
    target = root / relpath
    old = target.read_bytes() if target.exists() else None
    if old == new:
        return Outcome(relpath, "unchanged", "\n".join(todos))
    return Outcome(relpath, "changed", "\n".join(todos), new=new,
                   diff=unified_diff(relpath, old, new))
