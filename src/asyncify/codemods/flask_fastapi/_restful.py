"""Which Flask apps and blueprints of a file a Flask-RESTful / flask-restx / flask-restplus
``Api`` wraps, and which classes are that library's ``Resource``s.

Such an ``Api`` registers its resources on the Flask object itself (``add_url_rule``,
``handle_exception``, ``errorhandler``…), so converting the app to ``flask_app()`` or the
blueprint to ``APIRouter()`` breaks the module at import. The ASY1xx rules therefore leave a
wrapped app/blueprint Flask, with a marker: its Resource endpoints stay served by the legacy
app behind the gateway. What it registers keeps Flask's API (``_legacy``); the rest of the
module is converted as usual, unless it is a wrapped app's module.
"""

from __future__ import annotations

import libcst as cst

from .._rule import bound_name, dotted

LIBRARIES = ("flask_restful", "flask_restx", "flask_restplus")


def _restful_names(module: cst.Module) -> dict[str, str]:
    """Local name → ``"flask_restx.Api"`` (or the module itself for ``import flask_restx``)."""
    names: dict[str, str] = {}
    for statement in module.body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if isinstance(small, cst.ImportFrom) and not isinstance(small.names, cst.ImportStar):
                source = dotted(small.module) if small.module else None
                if source and source.split(".")[0] in LIBRARIES:
                    for alias in small.names:
                        names[bound_name(alias)] = f"{source.split('.')[0]}.{dotted(alias.name)}"
            elif isinstance(small, cst.Import):
                for alias in small.names:
                    full = dotted(alias.name) or ""
                    if full.split(".")[0] in LIBRARIES:
                        local = bound_name(alias)
                        names[local] = full if alias.asname is not None else local
    return names


def _resolve(names: dict[str, str], node: cst.BaseExpression) -> str | None:
    name = dotted(node)
    if name is None:
        return None
    head, _, rest = name.partition(".")
    target = names.get(head)
    if target is None:
        return None
    return f"{target}.{rest}" if rest else target


def _is(names: dict[str, str], node: cst.BaseExpression, what: str) -> bool:
    found = _resolve(names, node)
    return found is not None and found.split(".")[0] in LIBRARIES and found.endswith(f".{what}")


class _ApiCalls(cst.CSTVisitor):
    """``Api(owner, …)`` anywhere in the module, ``api = Api()`` then ``api.init_app(owner)``."""

    def __init__(self, names: dict[str, str], owners: set[str]) -> None:
        self.names, self.owners = names, owners
        self.apis: dict[str, str] = {}  # variable holding an Api → library
        self.wrapped: dict[str, str] = {}  # owner → library

    def visit_Assign(self, node: cst.Assign) -> None:
        library = (_resolve(self.names, node.value.func)
                   if isinstance(node.value, cst.Call) else None)
        if library is not None and library.endswith(".Api"):
            self.apis.update({t.target.value: library.split(".")[0] for t in node.targets
                              if isinstance(t.target, cst.Name)})

    def visit_Call(self, node: cst.Call) -> None:
        first = next((a.value for a in node.args if a.keyword is None
                      or a.keyword.value == "app"), None)
        if not isinstance(first, cst.Name) or first.value not in self.owners:
            return
        library = _resolve(self.names, node.func)
        if library is not None and _is(self.names, node.func, "Api"):
            self.wrapped[first.value] = library.split(".")[0]
        elif (isinstance(node.func, cst.Attribute) and node.func.attr.value == "init_app"
              and isinstance(node.func.value, cst.Name) and node.func.value.value in self.apis):
            self.wrapped[first.value] = self.apis[node.func.value.value]


def wrapped_owners(module: cst.Module, owners: set[str]) -> dict[str, str]:
    """The apps/blueprints among ``owners`` a REST ``Api`` wraps → the library's name."""
    names = _restful_names(module)
    if not names or not owners:
        return {}
    calls = _ApiCalls(names, owners)
    module.visit(calls)
    # ``init_app`` may come before the ``api = Api()`` it uses is seen: a second pass.
    if calls.apis:
        module.visit(calls)
    return calls.wrapped


def resource_classes(module: cst.Module) -> set[str]:
    """Top-level classes deriving from the REST library's ``Resource``."""
    names = _restful_names(module)
    return {statement.name.value for statement in module.body
            if isinstance(statement, cst.ClassDef)
            and any(_is(names, base.value, "Resource") for base in statement.bases)} if names \
        else set()


def wrapped_message(owner: str, library: str, app: bool) -> str:
    kind = "app" if app else "blueprint"
    return (f"{kind} {owner!r} is wrapped by a {library} Api: its Resource endpoints need "
            f"Flask's {kind} ({'handle_exception' if app else 'add_url_rule'}…), so it stays "
            "Flask and is served by the legacy app behind the gateway; port each Resource "
            "method to an APIRouter route by hand to move it")
