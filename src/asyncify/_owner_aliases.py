"""Other names an app or blueprint goes by, so registrations made through them are found.

Two layouts hide the app from a plain variable lookup: ``app = create_app()`` in a
``manage.py`` / ``wsgi.py`` that then registers blueprints on it, and helpers such as
``register_blueprints(app)`` whose parameter *is* the app. Both are recorded in
``finder.aliases`` (variable → the owner's own variable); ``_Finder._owner`` follows them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._summary import FunctionSummary, Ref, last_name

if TYPE_CHECKING:
    from ._endpoints import _Finder
    from ._resolve import Scope


def find_aliases(finder: _Finder) -> None:
    # Cheap name filters first: resolving every call of a large project costs more than the
    # rest of endpoint discovery.
    factories = {origin.partition(".<locals>.")[0].rpartition(".")[2]
                 for origin in finder.owners if ".<locals>." in origin}
    if factories:
        for scope in finder.scopes():
            _factory_results(finder, scope, factories)
    _parameters(finder)


def explicit_params(fn: FunctionSummary, method: bool) -> list[str]:
    """The parameters a call passes: a method's ``self`` / ``cls`` is bound, not passed."""
    params = [name for name, _ in fn.params]
    return params[1:] if method and ("n", "staticmethod") not in fn.decorators else params


def _factory_results(finder: _Finder, scope: Scope, factories: set[str]) -> None:
    """``app = create_app(...)``: that variable is the app the factory builds and returns."""
    resolver = finder.resolver
    for name, ref, kind in scope.fn.bindings:
        if kind != "=" or ref[0] != "c" or last_name(ref[1]) not in factories:
            continue
        func = resolver.resolve(ref[1], scope)
        factory = None if func is None else resolver.functions.get(func.qname)
        if factory is None or not factory.summary.returns:
            continue
        inner = resolver.scope_of(factory)
        for returned in factory.summary.returns:
            value = resolver.resolve(returned, inner)
            if value is not None and value.origin in finder.owners:
                local = scope.fn.qualname != "<module>" and name not in scope.fn.global_names
                origin = (f"{scope.qname}.<locals>.{name}" if local
                          else f"{scope.module.name}.{name}")
                if origin not in finder.owners:
                    finder.aliases[origin] = value.origin
                break


def _parameters(finder: _Finder) -> None:
    """``register_blueprints(app)``: inside the helper, its parameter is that app.

    Only calls passing a name some owner or alias is known by are resolved; a few rounds
    follow chains of helpers (a parameter aliased in one round is looked for in the next)."""
    names = {origin.rpartition(".")[2] for origin in (*finder.owners, *finder.aliases)}
    every = []  # (scope, call, the plain names it passes)
    for scope in finder.scopes():
        for call in scope.fn.calls:
            passed = {a[1] for a in call.ref[2] if a[0] == "n"}
            passed.update(a[1] for _, a in call.ref[3] if a[0] == "n")
            if passed:
                every.append((scope, call.ref, passed))
    for _ in range(3):
        known = set(finder.aliases)
        for scope, ref, passed in every:
            if not passed.isdisjoint(names):
                _bind(finder, scope, ref)
        names = {origin.rpartition(".")[2] for origin in set(finder.aliases) - known}
        if not names:
            return


def _bind(finder: _Finder, scope: Scope, ref: Ref) -> None:
    """Alias the parameters of the function ``ref`` calls to the owners passed to them."""
    passed = [(i, None, a) for i, a in enumerate(ref[2])]
    passed += [(-1, name, a) for name, a in ref[3]]
    owners = [(i, kw, owner) for i, kw, a in passed
              if a[0] == "n" and (owner := finder._owner(a, scope)) is not None]
    if not owners:
        return
    func = finder.resolver.resolve(ref[1], scope)
    fn = None if func is None else finder.resolver.functions.get(func.qname)
    if fn is None:
        return
    params = explicit_params(fn.summary, fn.cls is not None)
    for index, keyword, owner in owners:
        name = keyword if keyword is not None else (
            params[index] if index < len(params) else None)
        if name in params:
            finder.aliases[f"{fn.qname}.<locals>.{name}"] = owner.origin
