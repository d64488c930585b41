"""Await propagation, decided on the call graph: which functions become ``async def`` and which
call sites must be awaited, per file. Codemods only carry the decision out.

A function becomes async only when every blocking operation it reaches, through any chain of
calls, is one the selected rules convert (semantics.md §0: a half-converted function is worse
than a sync one). Constructs that cannot be async (dunders, properties, cached functions) keep
their function — and everything that calls it — sync. A sync function that calls one that
became async goes through the bridge.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from ._callgraph import CallGraph, reaching_io
from .codemods import FileContext
from .codemods.propagation.keep import NOT_BRIDGED

Converts = Callable[[str], bool]

# Manual-work kinds that forbid turning the function itself async, and why (the marker text).
_BLOCKERS = {
    "cache": "a cache decorator would store the coroutine, not its result: cache the awaited "
             "value (e.g. async-lru) and then make it async",
    "property": "a property cannot be awaited: turn it into an async method",
    "dunder": "this special method cannot be async: move the I/O into an async method",
    "callback": "it is passed as a value to code that calls it synchronously",
}

# Frameworks that call a class's methods without awaiting them (flask-restx/-restplus and
# Flask-RESTful ``Resource.dispatch_request`` calls ``meth(*args, **kwargs)``).
_SYNC_DISPATCH = {
    "flask_restful.Resource": "move the I/O into an async helper and serve this endpoint "
                              "from FastAPI",
    "flask_restx.Resource": "move the I/O into an async helper and serve this endpoint "
                            "from FastAPI",
    "flask_restplus.Resource": "move the I/O into an async helper and serve this endpoint "
                               "from FastAPI",
    "unittest.TestCase": "use unittest.IsolatedAsyncioTestCase (or pytest with anyio) "
                         "for tests that await",
    "unittest.case.TestCase": "use unittest.IsolatedAsyncioTestCase (or pytest with anyio) "
                              "for tests that await",
}
# Decorators of libraries that call the decorated function without awaiting it.
_SYNC_DECORATORS = frozenset({
    "click.command", "click.group", "click.decorators.command", "click.decorators.group",
    "flask.cli.AppGroup.command", "flask.cli.with_appcontext", "atexit.register",
    "celery.shared_task", "celery.Celery.task",
})


def conversion_contexts(
    graph: CallGraph, files: Iterable[str], converts: Converts,
    keep_sync: Iterable[str] = (), kept: Mapping[str, str] | None = None,
    shells: Iterable[str] = (), adopted: Iterable[str] = (),
) -> dict[str, FileContext]:
    """Per file (relative path), what to make async and which call sites to await.

    ``keep_sync`` names functions that must stay sync whatever they reach (and so must their
    callers): e.g. methods of objects the legacy code creates, when only twins are written.
    ``kept``: functions in which a rule left a blocking call as it was → why (they stay sync
    with a marker saying so; see :func:`settled_contexts`).
    ``shells``: blocked functions (see :func:`shell_candidates`) that keep their ``def`` but
    run their body on the bridge: their call sites are awaited like an async function's, but
    their callers still stay sync (they call a function that blocks on the event loop).
    ``adopted``: classes (qualified names) whose twin adopts legacy instances
    (:attr:`FileContext.adopted`).
    """
    wanted = set(files)
    functions = graph.functions

    def file_of(qname: str) -> str:
        return functions[qname].module.file.relpath

    stuck, blocked, eligible = _stuck(graph, converts, list(keep_sync), kept or {})
    adopted_classes = set(adopted)
    shelled = {name for name in shells if name in eligible}

    # Only what reaches I/O through calls awaits anything: a function that merely defines a
    # closure doing I/O (a decorator factory) or is decorated by one stays as it is.
    awaits = reaching_io(graph, frozenset({"call"}))
    make_async = {
        name for name in graph.blocking
        if name in awaits and name not in stuck and name in functions
        and file_of(name) in wanted and not functions[name].summary.is_async
    }
    converted = make_async | {
        name for name in graph.blocking
        if name in functions and functions[name].summary.is_async
    }
    parts: dict[str, _FileParts] = {relpath: _FileParts() for relpath in wanted}
    for name in make_async:
        parts[file_of(name)].make_async.add(functions[name].summary.qualname)
    for name, reason in blocked.items():
        if name in graph.blocking and file_of(name) in wanted:
            parts[file_of(name)].blocked[functions[name].summary.qualname] = reason
    for callee in converted:
        for edge in graph.callers.get(callee, ()):
            if edge.kind != "call" or not edge.col or edge.caller not in functions:
                continue
            relpath = file_of(edge.caller)
            if relpath not in wanted:
                continue
            caller_async = (edge.caller in converted or edge.caller in shelled
                            or functions[edge.caller].summary.is_async)
            if not caller_async and functions[callee].cls in adopted_classes:
                continue  # sync code gets the legacy object (migrate/_adopt.py): no bridge
            target = parts[relpath].await_at if caller_async else parts[relpath].bridge_at
            target.add((edge.line, edge.col))
            parts[relpath].callees.setdefault((edge.line, edge.col), set()).add(
                callee.rpartition(".")[2])
    for name, found in graph.sites.items():
        if name in functions and file_of(name) in wanted:
            for site in found:
                parts[file_of(name)].sites[(site.line, site.col)] = site.operation.name
    for name in shelled:
        if file_of(name) in wanted:
            part = parts[file_of(name)]
            qualname = functions[name].summary.qualname
            part.shells[qualname] = part.blocked.pop(qualname, blocked[name])
            part.make_async.add(qualname)  # its body is walked as async code
    modules = {m.file.relpath: m.name for m in graph.resolver.index.modules.values()}
    adopted_in: dict[str, set[str]] = {}
    for cls in adopted_classes:
        owner = next((f for f in functions.values() if f.cls == cls), None)
        if owner is not None:
            adopted_in.setdefault(owner.module.file.relpath, set()).add(
                cls.removeprefix(owner.module.name + "."))
    return {
        relpath: FileContext(
            module=modules.get(relpath, ""),
            make_async=frozenset(part.make_async),
            await_at=frozenset(part.await_at),
            bridge_at=frozenset(part.bridge_at),
            sites=part.sites,
            blocked=part.blocked,
            callees={at: frozenset(names) for at, names in part.callees.items()},
            shells=part.shells,
            adopted=frozenset(adopted_in.get(relpath, ())),
        )
        for relpath, part in parts.items()
    }


def _stuck(graph: CallGraph, converts: Converts, keep_sync: Sequence[str],
           kept: Mapping[str, str]) -> tuple[set[str], dict[str, str], set[str]]:
    """The functions that stay sync (``stuck``), those among them that reach only converted
    I/O but cannot be async themselves → why (``blocked``), and those blocked ones whose body
    could run on the bridge instead (``eligible``: see :func:`shell_candidates`)."""
    functions = graph.functions
    stuck: set[str] = set()
    for name, found in graph.sites.items():
        for site in found:
            op = site.operation
            if op.io and op.category != "cpu" and not converts(op.name):
                stuck.add(name)
    io_stuck = set(stuck)
    # Functions that reach only converted I/O but cannot be async themselves: they stay sync
    # (their callers too) and get a marker saying why.
    # (Only functions that do reach I/O: a dunder or a decorated function without any has
    # nothing to turn async, and keeping it "stuck" would wrongly keep its callers sync.)
    blocked: dict[str, str] = {}
    for items in graph.manual.values():
        for m in items:
            if m.kind in _BLOCKERS and m.function in functions and m.function in graph.blocking:
                blocked.setdefault(m.function, _BLOCKERS[m.kind])
    for name, edges in graph.edges.items():
        for edge in edges:
            if edge.kind == "decorator" and name in functions and name in graph.blocking:
                blocked.setdefault(name, f"its decorator {edge.callee.rpartition('.')[2]} "
                                   "wraps it in a sync function: make the wrapper async "
                                   "(async def, await the call), then this can follow")
    for name, reason in kept.items():
        if name in functions:
            if name in blocked and reason.startswith(NOT_BRIDGED):
                reason = f"{blocked[name]}; {reason}"  # why it did not become a shell
                blocked[name] = reason
            blocked.setdefault(name, reason)
    for name, reason in _sync_framework_callees(graph).items():
        blocked.setdefault(name, reason)
    # Kept by a rule or by the caller, or blocking on unconverted I/O: these stay sync whole.
    held = {name for name in kept if name in functions} | set(keep_sync) | io_stuck
    stuck.update(blocked)
    stuck.update(keep_sync)
    # Whatever reaches a stuck function stays sync too.
    queue = deque(stuck)
    while queue:
        current = queue.popleft()
        for edge in graph.callers.get(current, ()):
            if edge.caller not in stuck:
                stuck.add(edge.caller)
                queue.append(edge.caller)
    eligible = {
        name for name in blocked
        if name not in held and functions[name].parent is None
        and all(edge.kind == "decorator" or (edge.kind != "nested" and edge.callee not in stuck)
                for edge in graph.edges.get(name, ()))
    }
    return stuck, blocked, eligible


def _sync_framework_callees(graph: CallGraph) -> dict[str, str]:
    """Functions some sync code calls without awaiting, whatever they reach: closures handed
    out by their parent (decorator wrappers) and methods of classes a sync framework
    dispatches (``Resource``)."""
    resolver = graph.resolver
    called = {edge.callee for edges in graph.edges.values() for edge in edges
              if edge.kind == "call"}
    out: dict[str, str] = {}
    for name, fn in graph.functions.items():
        if name not in graph.blocking:
            continue
        if fn.parent is not None and name not in called:
            out[name] = (f"it is handed out by {fn.parent.rpartition('.')[2]} (a decorator "
                         "wrapper or callback) and called synchronously: make that code "
                         "async-aware first")
        elif decorator := next((d for d in resolver.decorator_names(fn)
                                if d in _SYNC_DECORATORS), None):
            out[name] = (f"@{decorator} calls it without awaiting it: keep the command sync "
                         "and call async helpers through the bridge")
        elif fn.cls is not None:
            base = next((b for b in resolver.external_bases(fn.cls) if b in _SYNC_DISPATCH), None)
            if base is not None:
                out[name] = f"{base} calls its methods without awaiting them: " \
                    + _SYNC_DISPATCH[base]
    return out


def settled_contexts(
    graph: CallGraph, files: Iterable[str], rules: Sequence[str],
    keep_sync: Iterable[str] = (), converts: Converts | None = None, *,
    in_place: bool = True, adopted: Iterable[str] = (),
) -> dict[str, FileContext]:
    """:func:`conversion_contexts` for the rules ``rules``, decided per call site: the rules
    run once (nothing written) on the files where functions would turn async, and every
    function in which one left a blocking call as it was (``codemods.propagation.keep``) is
    kept sync, with its callers; repeated until nothing more is kept (each round can only
    keep more, so it ends).

    ``in_place``: the files are rewritten where they are, so a function that stays sync calls
    the rewritten callees; one it enters with ``with`` (or iterates) cannot go through the
    bridge and stays sync too. (Async twins leave that caller calling the legacy callee.)
    ``adopted``: as for :func:`conversion_contexts`."""
    from .codemods import REGISTRY

    selected = [REGISTRY.rules[r] for r in rules]

    def converted(op: str) -> bool:
        return any(rule.converts_op(op) for rule in selected)

    files = list(files)
    keep_sync = list(keep_sync)
    adopted = list(adopted)
    index = graph.resolver.index
    paths = {m.file.relpath: (m.name, m.file.path) for m in index.modules.values()}
    kept: dict[str, str] = {}
    shells: set[str] = set()
    while True:
        contexts = conversion_contexts(graph, files, converts or converted, keep_sync, kept,
                                       shells, adopted)
        eligible = _stuck(graph, converts or converted, keep_sync, kept)[2] if in_place else set()
        more: dict[str, str] = {}
        shell_more: set[str] = set()
        for relpath, context in sorted(contexts.items()):  # sorted: stable reasons
            if not context.make_async or relpath not in paths:
                continue
            module, path = paths[relpath]
            found, entered = _probe(relpath, path.read_bytes(), rules, context)
            for qualname, why in found.items():
                name = f"{module}.{qualname}"
                if name in graph.functions and name not in kept:
                    more[name] = why
            if in_place:
                _route(_entered_from_sync(graph, relpath, entered), eligible - shells, kept,
                       more, shell_more)
        if in_place:
            _route(_resources_to_sync(graph, contexts), eligible - shells, kept, more,
                   shell_more)
        if not more and not shell_more:
            return contexts
        kept.update(more)
        shells.update(shell_more)


def _route(found: Mapping[str, tuple[str, str]], eligible: set[str], kept: Mapping[str, str],
           more: dict[str, str], shell_more: set[str]) -> None:
    """Callees that sync code cannot use through the bridge (→ why, the calling function):
    the caller runs its body on the bridge when it can (its callees then convert), else they
    stay sync."""
    for name, (why, caller) in found.items():
        if caller in eligible:
            shell_more.add(caller)
        elif name not in kept:
            more.setdefault(name, why)


def _entered_from_sync(graph: CallGraph, relpath: str,
                       positions: set[tuple[int, int]]) -> dict[str, tuple[str, str]]:
    """The callees of the call sites ``positions`` in ``relpath`` → (why they stay sync, the
    calling function)."""
    found: dict[str, tuple[str, str]] = {}
    for name, edges in graph.edges.items():
        fn = graph.functions.get(name)
        if fn is None or fn.module.file.relpath != relpath:
            continue
        for edge in edges:
            if edge.kind == "call" and (edge.line, edge.col) in positions:
                found[edge.callee] = (f"{fn.summary.qualname} (line {edge.line}) stays sync "
                                      "and enters or iterates it, which the bridge cannot do",
                                      name)
    return found


def _resources_to_sync(graph: CallGraph,
                       contexts: Mapping[str, FileContext]) -> dict[str, tuple[str, str]]:
    """Functions that would hand a library object (a pool, a connection, a client) to code
    that stays sync through the bridge: that code would get the async library's object and
    call the sync library's methods on it, so they stay sync. → (why, the calling function)"""
    resolver = graph.resolver
    found: dict[str, tuple[str, str]] = {}
    for name, edges in graph.edges.items():
        fn = graph.functions.get(name)
        context = contexts.get(fn.module.file.relpath) if fn is not None else None
        if fn is None or context is None or not context.bridge_at:
            continue
        for edge in edges:
            if edge.kind != "call" or (edge.line, edge.col) not in context.bridge_at:
                continue
            value = resolver.returned(edge.callee)
            if value is not None and value.kind == "obj" and value.qname not in resolver.classes:
                found.setdefault(edge.callee, (f"it returns a {value.qname} to "
                                 f"{fn.summary.qualname} (line {edge.line}), which stays sync",
                                 name))
    return found


def _probe(relpath: str, source: bytes, rules: Sequence[str],
           context: FileContext) -> tuple[dict[str, str], set[tuple[int, int]]]:
    """Run the rules over one file as :func:`codemods.transform` would, for what they keep
    and for the calls that sync code enters or iterates."""
    import libcst as cst
    from libcst.codemod import CodemodContext
    from libcst.metadata import MetadataWrapper

    from .codemods import REGISTRY, Pass
    from .codemods.propagation.keep import kept, unbridgeable_sites

    try:
        module = cst.parse_module(source)
    except (cst.ParserSyntaxError, UnicodeDecodeError, LookupError, SyntaxError):
        return {}, set()
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    rewrite = Pass([REGISTRY.rules[r] for r in rules], CodemodContext(filename=relpath),
                   wrapper, context, source)
    module.visit(rewrite)
    return kept(rewrite), unbridgeable_sites(rewrite)


@dataclass
class _FileParts:
    make_async: set[str] = field(default_factory=set)
    await_at: set[tuple[int, int]] = field(default_factory=set)
    bridge_at: set[tuple[int, int]] = field(default_factory=set)
    sites: dict[tuple[int, int], str] = field(default_factory=dict)
    blocked: dict[str, str] = field(default_factory=dict)
    callees: dict[tuple[int, int], set[str]] = field(default_factory=dict)
    shells: dict[str, str] = field(default_factory=dict)


def example_context(source: str, converts: Converts,
                    rules: Sequence[str] | None = None) -> FileContext:
    """The context of a one-module project made of ``source`` (rule examples and tests),
    settled per call site by ``rules`` (default: every registered rule)."""
    import tempfile
    from pathlib import Path

    from .api import analyse_project

    with tempfile.TemporaryDirectory(prefix="asyncify-example-") as tmp:
        (Path(tmp) / "example.py").write_text(source, encoding="utf-8")
        _, graph, _ = analyse_project(Path(tmp), use_cache=False)
        if rules is None:
            from .codemods import REGISTRY

            rules = [rule.id for rule in REGISTRY]
        return settled_contexts(graph, ["example.py"], rules, converts=converts)["example.py"]
