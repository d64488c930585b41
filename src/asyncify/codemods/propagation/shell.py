"""ASY901, bridged body: a function that must stay ``def`` only because sync code calls it (a
``@click.command`` callback, a dunder, a function passed to a sync API…) but whose body
reaches only converted I/O keeps its signature and runs its body on the bridge::

    def init_db_command(seed):
        async def _body():
            async with connection() as conn:
                ...
        return run_async(_body)

``asyncify.bridge.run_async`` runs the coroutine on the application's (or the shared
background) loop and returns its value or raises its exception unchanged; called on a thread
that runs an event loop it raises ``ReentryError`` instead of deadlocking. What the function
calls then no longer has to stay sync for its sake (``asyncify._scope.settled_contexts``).

The body moves only when that keeps its meaning; otherwise the function stays as it was
(:func:`refusal`): a generator (``yield``), zero-argument ``super()``/``__class__``,
``locals()``/``vars()``/frame inspection (they would see the nested function), and
``SystemExit``/``KeyboardInterrupt``/``sys.exit`` (raised in a task they would stop the loop
rather than reach the caller). Parameters the body rebinds are declared ``nonlocal``.
"""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from .._rule import dotted

_FRAME_CALLS = frozenset({"locals", "vars", "sys._getframe", "inspect.currentframe",
                          "inspect.stack"})
_STOPS = frozenset({"SystemExit", "KeyboardInterrupt", "GeneratorExit", "exit", "quit",
                    "sys.exit", "os._exit"})
_SCOPES = (cst.FunctionDef, cst.ClassDef, cst.Lambda)


def _walk(node: cst.CSTNode, *, own_scope: bool) -> Iterator[cst.CSTNode]:
    """Every node under ``node``; with ``own_scope``, not those of nested functions/classes."""
    for child in node.children:
        yield child
        if not (own_scope and isinstance(child, _SCOPES)):
            yield from _walk(child, own_scope=own_scope)


def refusal(function: cst.FunctionDef) -> str | None:
    """Why the body of ``function`` cannot run in a nested ``async def`` (``None``: it can)."""
    body = function.body
    for node in _walk(body, own_scope=True):
        if isinstance(node, cst.Yield):
            return "it is a generator: a yield cannot move into a coroutine"
        if isinstance(node, cst.Name) and node.value == "__class__":
            return "it uses __class__, which a nested function does not see"
        if isinstance(node, cst.Call):
            name = dotted(node.func)
            if name == "super" and not node.args:
                return "it calls super() without arguments, which a nested function cannot"
            if name in _FRAME_CALLS and not (name == "vars" and node.args):
                return f"it inspects its own frame ({name}), which would be a nested one"
    for node in _walk(body, own_scope=False):
        if isinstance(node, cst.Name | cst.Attribute) and dotted(node) in _STOPS:
            return (f"it may raise {dotted(node)}, which would stop the event loop instead "
                    "of reaching its caller")
    return None


def _bound(target: cst.BaseExpression | cst.BaseAssignTargetExpression) -> set[str]:
    """Names an assignment target binds (``a``, ``a, *b``; not ``a.x`` or ``a[0]``)."""
    if isinstance(target, cst.Name):
        return {target.value}
    if isinstance(target, cst.Tuple | cst.List):
        return set().union(*(_bound(element.value) for element in target.elements))
    if isinstance(target, cst.StarredElement):
        return _bound(target.value)
    return set()


def _rebound(body: cst.BaseSuite) -> set[str]:
    """Names the function's own scope binds."""
    found: set[str] = set()
    for node in _walk(body, own_scope=True):
        if isinstance(node, cst.AssignTarget | cst.AnnAssign | cst.AugAssign | cst.For
                      | cst.NamedExpr | cst.Del):
            found |= _bound(node.target)
        elif isinstance(node, cst.AsName):
            found |= _bound(node.name)
        elif isinstance(node, cst.FunctionDef | cst.ClassDef):
            found.add(node.name.value)
        elif isinstance(node, cst.ImportAlias) and node.asname is None:
            found.add((dotted(node.name) or "").partition(".")[0])
        elif isinstance(node, cst.MatchAs | cst.MatchStar) and node.name is not None:
            found.add(node.name.value)
    return found


def _params(params: cst.Parameters) -> set[str]:
    names = {p.name.value for p in (*params.posonly_params, *params.params,
                                     *params.kwonly_params)}
    for star in (params.star_arg, params.star_kwarg):
        if isinstance(star, cst.Param):
            names.add(star.name.value)
    return names


def _fresh(function: cst.FunctionDef, base: str) -> str:
    used = {node.value for node in _walk(function, own_scope=False)
            if isinstance(node, cst.Name)}
    name, n = base, 1
    while name in used:
        n += 1
        name = f"{base}_{n}"
    return name


def _is_docstring(statement: cst.BaseStatement) -> bool:
    return (isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1
            and isinstance(statement.body[0], cst.Expr)
            and isinstance(statement.body[0].value, cst.SimpleString | cst.ConcatenatedString))


def bridged(original: cst.FunctionDef, updated: cst.FunctionDef) -> cst.FunctionDef:
    """``updated`` (its body already rewritten as async code) with that body moved into a
    nested ``async def`` run through ``run_async``; the docstring stays (``--help``,
    ``__doc__``)."""
    suite = updated.body
    statements: list[cst.BaseStatement]
    if isinstance(suite, cst.IndentedBlock):
        statements, block = list(suite.body), suite
    else:
        assert isinstance(suite, cst.SimpleStatementSuite)
        statements = [cst.SimpleStatementLine(body=suite.body)]
        block = cst.IndentedBlock(body=[], header=suite.trailing_whitespace)
    head = [statements.pop(0)] if statements and _is_docstring(statements[0]) else []
    name = _fresh(original, "_body")
    inner: list[cst.BaseStatement] = []
    rebound = sorted(_params(original.params) & _rebound(original.body))
    if rebound:
        inner.append(cst.SimpleStatementLine([cst.Nonlocal(
            [cst.NameItem(cst.Name(n)) for n in rebound])]))
    inner.extend(statements)
    nested = cst.FunctionDef(name=cst.Name(name), params=cst.Parameters(),
                             body=cst.IndentedBlock(body=inner),
                             asynchronous=cst.Asynchronous())
    call = cst.SimpleStatementLine([cst.Return(cst.Call(cst.Name("run_async"),
                                                        [cst.Arg(cst.Name(name))]))])
    return updated.with_changes(body=block.with_changes(body=[*head, nested, call]))
