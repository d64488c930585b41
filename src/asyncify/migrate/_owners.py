"""Blueprints defined in another module than their views (``app/api/__init__.py`` holds
``bp = Blueprint('api', __name__)``, ``app/api/entries.py`` does ``from app.api import bp``
and decorates its views with ``@bp.route``): the layout of most Flask projects.

The twin of the views module is built from the legacy module with the blueprint's own
definition appended (``bp = Blueprint('api', __name__)``, the call copied from the defining
module, at the end so that no position the project analysis recorded moves): the rules then
convert the views exactly as when the blueprint is defined beside them, and the blueprint
into the same ``APIRouter(...)``. That statement is taken out of the views twin and becomes
the twin of the defining module (``app_async/api/__init__.py``), which holds only the router:
the rest of the defining module (the imports of its view modules at the bottom of a package
``__init__``, nested registrations) stays legacy code, served by the legacy app, so the twin
package has no import cycle and imports no legacy view. The views twin imports the router
from there (``from app_async.api import bp``), and the entry points include it with the
prefix the legacy registrations give it.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import libcst as cst

from .._endpoints import Endpoint
from ..codemods._rule import dotted


@dataclass(frozen=True)
class Foreign:
    """A blueprint the views of a module are declared on, defined in another module."""

    owner: str  # its qualified name (``app.api.bp``)
    local: str  # the name the views module binds it to (``bp``)
    call: str  # the ``Blueprint(...)`` call that creates it, as written where it is defined


def foreign_owners(
    selected: Sequence[Endpoint], handler_modules: Callable[[Endpoint], set[str]],
    sources: Callable[[str], bytes | None], canonical: Callable[[str], str],
) -> dict[str, list[Foreign]]:
    """For each module holding views of a blueprint defined elsewhere: those blueprints.

    ``handler_modules``: the modules of an endpoint's handlers; ``sources``: a module's
    source (``None`` when the project has no such module); ``canonical``: a name with the
    project's re-exports followed.

    :raises ValueError: the views module does not import the blueprint by name, or the
        defining module does not create it with a module-level ``Blueprint(...)`` call.
    """
    found: dict[str, list[Foreign]] = {}
    for endpoint in selected:
        if endpoint.owner_kind != "blueprint":
            continue
        home, _, variable = endpoint.owner.rpartition(".")
        for module in sorted(handler_modules(endpoint)):
            if module == home or any(f.owner == endpoint.owner for f in found.get(module, ())):
                continue
            source, defining = sources(module), sources(home)
            if source is None or defining is None:
                continue
            local = next((name for name in _imported(source)
                          if canonical(f"{module}.{name}") == endpoint.owner), None)
            call = _blueprint_call(defining, variable)
            if local is None or call is None:
                raise ValueError(
                    f"endpoint {endpoint.id!r}: its views are declared on blueprint "
                    f"{endpoint.owner}, which "
                    + (f"{module} does not import by name, so its twin could not declare "
                       "the route on the blueprint's router (declare it there with "
                       f"`@{variable}.route`, after `from {home} import {variable}`)"
                       if local is None else
                       f"{home} does not create with a module-level `{variable} = "
                       "Blueprint(...)`"))
            found.setdefault(module, []).append(Foreign(endpoint.owner, local, call))
    return found


def foreign_apps(
    selected: Sequence[Endpoint], handler_modules: Callable[[Endpoint], set[str]],
    sources: Callable[[str], bytes | None], canonical: Callable[[str], str],
) -> dict[str, frozenset[str]]:
    """For each module declaring routes on an app it imports (``from journal import app``
    then ``@app.route('/')``): the names it binds that app to. The entry points route those
    views (``app_routes``), so their twins drop these route decorators."""
    found: dict[str, set[str]] = {}
    for endpoint in selected:
        if endpoint.owner_kind != "app" or "<locals>" in endpoint.owner:
            continue
        home = endpoint.owner.rpartition(".")[0]
        for module in handler_modules(endpoint):
            source = sources(module)
            if module == home or source is None:
                continue
            found.setdefault(module, set()).update(
                name for name in _imported(source)
                if canonical(f"{module}.{name}") == endpoint.owner)
    return {module: frozenset(names) for module, names in found.items() if names}


def with_blueprints(source: bytes, foreign: Sequence[Foreign]) -> bytes:
    """``source`` with the blueprints' definitions appended (every earlier line and column
    unchanged)."""
    lines = [f"{f.local} = {f.call}" for f in foreign]
    tail = "\n\nfrom flask import Blueprint\n" + "\n".join(lines) + "\n"
    return source.rstrip(b"\n") + tail.encode()


def router_twin(legacy: str, routers: Sequence[tuple[str, cst.SimpleStatementLine]],
                legacy_names: Mapping[str, None]) -> cst.Module:
    """The twin of the module ``legacy`` defining blueprints: the routers the rules made of
    them (``(variable, statement)``), each bound to its blueprint's own name, and the
    legacy names their arguments use, imported from the legacy module."""
    used = _Names()
    statements = []
    for variable, statement in routers:
        assign = statement.body[0]
        assert isinstance(assign, cst.Assign)
        assign.value.visit(used)
        statements.append(statement.with_changes(
            body=[assign.with_changes(targets=[cst.AssignTarget(cst.Name(variable))])],
            leading_lines=[cst.EmptyLine(), cst.EmptyLine(comment=cst.Comment(
                f"# The router of the blueprint {legacy}.{variable}: its views' twins "
                "register on it."))]))
    names = sorted(n for n in used.found if n in legacy_names)
    imports = [
        cst.parse_statement("from fastapi import APIRouter"),
        *([cst.parse_statement(f"from {legacy} import {', '.join(names)}")] if names else []),
    ]
    return cst.Module(body=[*imports, *statements])


def taken_router(statement: cst.BaseStatement, locals_: set[str]) -> str | None:
    """The local name ``statement`` binds when it is one of the appended definitions."""
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return None
    small = statement.body[0]
    if (isinstance(small, cst.Assign) and len(small.targets) == 1
            and isinstance(small.targets[0].target, cst.Name)
            and small.targets[0].target.value in locals_):
        return small.targets[0].target.value
    return None


def is_router(statement: cst.SimpleStatementLine) -> bool:
    small = statement.body[0]
    return (isinstance(small, cst.Assign) and isinstance(small.value, cst.Call)
            and dotted(small.value.func) in ("APIRouter", "fastapi.APIRouter"))


@functools.lru_cache(maxsize=256)  # per module, asked per endpoint
def _imported(source: bytes) -> tuple[str, ...]:
    """The names the module's top-level ``from … import`` statements bind."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return ()
    return tuple(alias.asname or alias.name for node in tree.body
                 if isinstance(node, ast.ImportFrom) for alias in node.names if alias.name != "*")


@functools.lru_cache(maxsize=256)  # per module, asked per endpoint
def _blueprint_call(source: bytes, variable: str) -> str | None:
    """The code of the module-level ``variable = Blueprint(...)`` call, ``Blueprint`` named
    as the appended import binds it."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    for node in tree.body:
        if not isinstance(node, ast.Assign | ast.AnnAssign):
            continue
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        value = node.value if any(isinstance(t, ast.Name) and t.id == variable
                                  for t in targets) else None
        if isinstance(value, ast.Call) and (
                (isinstance(value.func, ast.Name) and value.func.id == "Blueprint")
                or (isinstance(value.func, ast.Attribute) and value.func.attr == "Blueprint")):
            return ast.unparse(ast.Call(ast.Name("Blueprint"), value.args, value.keywords))
    return None


class _Names(cst.CSTVisitor):
    """Every plain name used in an expression (``OrderAPI`` in ``OrderAPI.as_view("x")``)."""

    def __init__(self) -> None:
        super().__init__()
        self.found: set[str] = set()

    def visit_Name(self, node: cst.Name) -> None:
        self.found.add(node.value)
