"""What the ASY1xx rules share about one file: which names are Flask apps and blueprints,
which functions are views, hooks and error handlers, and the final clean-up of imports.

The facts are gathered once per file from the *original* tree (a cheap scan of the top-level
statements when the walk enters the module), so every rule sees the same answers whichever
subset of rules runs and in whatever order the handlers fire.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field

import libcst as cst

from .._engine import Pass, after_imports
from .._rule import UsedNames, bound_name, dotted
from ._legacy import (
    flask_served,
    kept_message,
    kept_owners,
    registered_message,
    shared_names,
    within,
)
from ._restful import resource_classes, wrapped_message, wrapped_owners

GATE = frozenset({"flask"})
RULES = frozenset({"ASY101", "ASY102", "ASY103", "ASY104"})
ROUTE_VERBS = ("get", "post", "put", "patch", "delete")
# Flask names the rewrites replace; an import of one that is no longer used is dropped.
REPLACED = frozenset({
    "flask.Flask", "flask.Blueprint", "flask.jsonify", "flask.abort", "flask.redirect",
    "flask.request", "flask.url_for", "flask.g", "flask.Response", "flask.make_response",
    "werkzeug.exceptions.HTTPException", "flask.views.MethodView", "flask.views.View",
})
# Flask's class-based views, and the methods of each that answer requests.
VIEW_BASES = frozenset({"flask.views.MethodView", "flask.views.View"})
HTTP_VERBS = ("get", "post", "put", "patch", "delete", "head", "options")
_CONVERTER = re.compile(r"<(?:(\w+)(\([^)]*\))?:)?(\w+)>")


@dataclass
class FileFacts:
    apps: set[str] = field(default_factory=set)  # variables holding Flask(...)
    blueprints: dict[str, str] = field(default_factory=dict)  # variable → blueprint name
    views: dict[str, str] = field(default_factory=dict)  # function → owner variable
    hooks: set[str] = field(default_factory=set)  # before_request functions
    handlers: set[str] = field(default_factory=set)  # errorhandler functions
    local: dict[str, str] = field(default_factory=dict)  # flask/werkzeug local names
    kept: set[str] = field(default_factory=set)  # flask names some code still uses
    # Flask's request is read as ``flask_request`` in a view whose FastAPI parameter is
    # ``request`` (unshadow_flask_request): the module imports it under that name.
    flask_request_alias: bool = False
    # Class-based views registered in this module (``bp.add_url_rule(..., view_func=
    # Cls.as_view("name"))``): class → its ``ClassView``. Their request methods are views
    # too, keyed ``"Cls.get"`` in ``views``.
    class_views: dict[str, ClassView] = field(default_factory=dict)
    # Apps/blueprints that stay Flask (a REST ``Api`` wraps them, an extension or Flask-only
    # code uses them, see ``_legacy``): the ``id()`` of the call creating each → the marker
    # ASY101 leaves there; and the functions and classes (qualnames) the legacy Flask app
    # calls (the module's ``Resource``s, what a Flask object registers), left as they are.
    wrapped: dict[int, str] = field(default_factory=dict)
    served: set[str] = field(default_factory=set)
    # A module-level app stays Flask: the whole module is left as it is (but its marker).
    whole: bool = False
    # Flask helpers (local names) both served and converted code call: see ``shared_names``.
    shared: set[str] = field(default_factory=set)
    # Functions (qualnames, also in ``served``) no module serving requests names: only legacy
    # code calls them (``FileContext.flask_side``, see ``_callers``).
    unreached: set[str] = field(default_factory=set)
    scanned: bool = False  # by scan(), once per file
    # Names each top-level statement uses (prune_imports): id → (statement, names). A
    # rule's leave_Module changes a few statements; the others are the same objects.
    used: dict[int, tuple[cst.CSTNode, frozenset[str]]] = field(default_factory=dict)

    @property
    def owners(self) -> set[str]:
        return self.apps | set(self.blueprints)


@dataclass
class ClassView:
    """A ``MethodView``/``View`` subclass: which base, its request methods, and its
    ``methods`` attribute when it is a literal list (``None``: not set, ``[]``: computed)."""

    base: str  # "flask.views.MethodView" | "flask.views.View"
    handlers: list[str]  # "get", "delete"… (MethodView) or ["dispatch_request"] (View)
    methods: list[str] | None = None


def view_key(classes: list[str], name: str) -> str:
    """The key of a function in ``FileFacts.views``: ``"Cls.get"`` for a method of a class
    view, the plain name for a function (``classes``: the enclosing classes, outermost
    first)."""
    return f"{classes[-1]}.{name}" if classes else name


_facts: weakref.WeakKeyDictionary[Pass, FileFacts] = weakref.WeakKeyDictionary()


def facts(p: Pass) -> FileFacts:
    found = _facts.get(p)
    if found is None:
        found = _facts[p] = FileFacts()
    return found


def _flask_name(facts: FileFacts, node: cst.BaseExpression) -> str | None:
    name = dotted(node)
    if name is None:
        return None
    head, _, rest = name.partition(".")
    target = facts.local.get(head)
    if target is None:
        return None
    return f"{target}.{rest}" if rest else target


def module_owners(module: cst.Module) -> tuple[set[str], set[str], set[str]]:
    """The module-level apps and blueprints of a file, and those of them that stay Flask by
    what the file itself does with them (the project-level pass, ``_callers``, starts there)."""
    f = FileFacts()
    staying, apps = _owners(f, module, {})
    return apps, (f.owners | staying) - apps, staying


def _created(module: cst.Module) -> dict[str, cst.Call]:
    """Module-level ``name = <call>`` assignments: name → call."""
    created: dict[str, cst.Call] = {}
    for statement in module.body:
        for small in _smalls(statement):
            if (isinstance(small, cst.Assign) and len(small.targets) == 1
                    and isinstance(small.targets[0].target, cst.Name)
                    and isinstance(small.value, cst.Call)):
                created[small.targets[0].target.value] = small.value
    return created


def _owners(f: FileFacts, module: cst.Module, project: Mapping[str, str],
            twin: bool = False) -> tuple[set[str], set[str]]:
    """Fill ``f.local``, ``f.apps``, ``f.blueprints``, ``f.wrapped`` and ``f.whole``; return
    the owners that stay Flask (dropped from ``f.apps``/``f.blueprints``) and every app.
    ``project``: the owners the project-level pass keeps (``FileContext.flask_owners``) → why
    (an app or blueprint registered on one that stays, or used as Flask's in another file).
    ``twin``: the module is rewritten into an async twin (``asyncify apply``), whose router
    is a new object beside the legacy blueprint: a blueprint used as Flask's (``@bp.
    app_errorhandler``, ``CORS(bp)``) keeps those roles on the legacy app, so the twin's
    blueprint still becomes a router."""
    for statement in module.body:
        for small in _smalls(statement):
            if isinstance(small, cst.ImportFrom) and not isinstance(small.names, cst.ImportStar):
                module_name = dotted(small.module) if small.module else None
                if module_name and module_name.split(".")[0] in ("flask", "werkzeug"):
                    for alias in small.names:
                        f.local[bound_name(alias)] = f"{module_name}.{dotted(alias.name)}"
            elif isinstance(small, cst.Import):
                for alias in small.names:
                    full = dotted(alias.name) or ""
                    if full.split(".")[0] in ("flask", "werkzeug"):
                        f.local[full.split(".")[0]] = full.split(".")[0]
    created = _created(module)
    for target, call in created.items():
        kind = _flask_name(f, call.func)
        if kind == "flask.Flask":
            f.apps.add(target)
        elif kind == "flask.Blueprint":
            first = call.args[0].value if call.args else None
            f.blueprints[target] = (first.raw_value if isinstance(first, cst.SimpleString)
                                    else target)
    wrapped_names = wrapped_owners(module, f.owners)
    for wrapped, library in wrapped_names.items():
        f.wrapped[id(created[wrapped])] = wrapped_message(wrapped, library, wrapped in f.apps)
    candidates = (f.apps if twin else f.owners) - set(wrapped_names)
    for kept, uses in kept_owners(module, candidates).items():
        f.wrapped[id(created[kept])] = kept_message(kept, uses, kept in f.apps)
    for kept, why in project.items():
        if kept in f.owners and id(created[kept]) not in f.wrapped:
            f.wrapped[id(created[kept])] = registered_message(kept, why, kept in f.apps)
    staying = {name for name, call in created.items() if id(call) in f.wrapped}
    apps = set(f.apps)
    f.whole = bool(staying & f.apps)
    if f.whole:  # its blueprints are registered on it, its helpers answer inside it
        staying |= f.owners
    f.apps -= staying
    f.blueprints = {k: v for k, v in f.blueprints.items() if k not in staying}
    return staying, apps


def scan(p: Pass, module: cst.Module) -> FileFacts:
    """Fill the file's facts from the top-level statements (idempotent per file)."""
    f = facts(p)
    if f.scanned:
        return f
    f.scanned = True
    staying, _ = _owners(f, module, p.file.flask_owners, twin=p.file.legacy_context)
    f.unreached = set() if f.whole else set(p.file.flask_side)
    f.served = (resource_classes(module) | flask_served(module, f.owners, staying)
                | f.unreached)
    f.shared = set() if f.whole else shared_names(module, f.local, f.served)
    flask_classes = {
        statement.name.value: _class_view(f, statement) for statement in module.body
        if isinstance(statement, cst.ClassDef)
    }
    for statement in module.body:
        if isinstance(statement, cst.FunctionDef):
            for decorator in statement.decorators:
                owner, method = owner_call(f, decorator.decorator)
                if owner is None:
                    owner, method = owner_hook(f, decorator.decorator)
                if owner is None:
                    continue
                if method in ("route", *ROUTE_VERBS):
                    f.views[statement.name.value] = owner
                elif method == "before_request":
                    f.hooks.add(statement.name.value)
                elif method == "errorhandler":
                    f.handlers.add(statement.name.value)
        for small in _smalls(statement):
            call = small.value if isinstance(small, cst.Expr) else None
            if isinstance(call, cst.Call):
                owner, method = owner_call(f, call)
                if owner is None:
                    continue
                if method == "before_request" and call.args:
                    hook = dotted(call.args[0].value)
                    if hook:
                        f.hooks.add(hook)
                if method == "add_url_rule":
                    view = next((a.value for a in call.args
                                 if a.keyword and a.keyword.value == "view_func"),
                                call.args[2].value if len(call.args) > 2 else None)
                    if isinstance(view, cst.Name):
                        f.views[view.value] = owner
                    cls = as_view_class(view)
                    found = flask_classes.get(cls or "")
                    if cls and found is not None:
                        f.class_views[cls] = found
                        f.views.update({f"{cls}.{m}": owner for m in found.handlers})
    return f


def as_view_class(view: cst.BaseExpression | None) -> str | None:
    """``"Cls"`` for ``Cls.as_view(...)``."""
    if (isinstance(view, cst.Call) and isinstance(view.func, cst.Attribute)
            and view.func.attr.value == "as_view" and isinstance(view.func.value, cst.Name)):
        return view.func.value.value
    return None


def _class_view(f: FileFacts, node: cst.ClassDef) -> ClassView | None:
    base = next((name for arg in node.bases
                 if (name := _flask_name(f, arg.value)) in VIEW_BASES), None)
    if base is None:
        return None
    defined = [s.name.value for s in node.body.body if isinstance(s, cst.FunctionDef)]
    if base == "flask.views.View":
        handlers = ["dispatch_request"] if "dispatch_request" in defined else []
    else:
        handlers = [m for m in HTTP_VERBS if m in defined]
    methods: list[str] | None = None
    for statement in node.body.body:
        for small in _smalls(statement):
            if (isinstance(small, cst.Assign) and len(small.targets) == 1
                    and isinstance(small.targets[0].target, cst.Name)
                    and small.targets[0].target.value == "methods"):
                value = small.value
                methods = [e.value.raw_value.upper() for e in value.elements
                           if isinstance(e.value, cst.SimpleString)] if isinstance(
                    value, cst.List | cst.Tuple | cst.Set) and all(
                    isinstance(e.value, cst.SimpleString) for e in value.elements) else []
    return ClassView(base, handlers, methods)


def legacy(p: Pass) -> bool:
    """Whether the code being walked is served by the legacy Flask app: its module stays
    Flask, or it is (inside) a function or class a Flask object calls."""
    f = facts(p)
    if f.whole:
        return True
    if not f.served:
        return False
    return within(p.qualname(), f.served)


def owner_call(f: FileFacts, node: cst.BaseExpression) -> tuple[str | None, str]:
    """``("bp", "get")`` for ``bp.get(...)`` when ``bp`` is a Flask app or blueprint."""
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
        owner = node.func.value
        if isinstance(owner, cst.Name) and owner.value in f.owners:
            return owner.value, node.func.attr.value
    return None, ""


# Registrations Flask apps and blueprints also take as a bare decorator (``@app.before_request``).
BARE_HOOKS = frozenset({"before_request", "after_request", "teardown_request",
                        "teardown_appcontext", "before_app_request", "after_app_request"})


def owner_hook(f: FileFacts, node: cst.BaseExpression) -> tuple[str | None, str]:
    """``("app", "before_request")`` for the bare decorator ``@app.before_request``."""
    if (isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name)
            and node.value.value in f.owners and node.attr.value in BARE_HOOKS):
        return node.value.value, node.attr.value
    return None, ""


def is_flask(p: Pass, node: cst.BaseExpression, name: str) -> bool:
    head = (dotted(node) or "").partition(".")[0]
    if head and p.shadowed(head):  # a view's own ``request: Request`` parameter
        return False
    return f"flask.{name}" in p.qualified(node) or _flask_name(facts(p), node) == f"flask.{name}"


def flask_path(path: str) -> tuple[str, list[str], list[str]]:
    """A Werkzeug rule as a Starlette path; the parameter names; and the converters that
    have no exact Starlette equivalent."""
    names: list[str] = []
    inexact: list[str] = []

    def convert(match: re.Match[str]) -> str:
        converter, args, name = match.group(1) or "default", match.group(2), match.group(3)
        names.append(name)
        if args or converter not in ("default", "string", "int", "path", "uuid"):
            inexact.append(f"<{match.group(0)[1:-1]}>")
        suffix = {"int": ":int", "path": ":path", "uuid": ":uuid", "float": ":float"}
        return "{" + name + suffix.get(converter, "") + "}"

    return _CONVERTER.sub(convert, path), names, inexact


def keyword(name: str, value: cst.BaseExpression) -> cst.Arg:
    return cst.Arg(keyword=cst.Name(name), value=value,
                   equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""),
                                         whitespace_after=cst.SimpleWhitespace("")))


# What Flask's request has and a Starlette Request has not (or has as a method): read on a
# name ``request`` that is the view's FastAPI parameter, these are Flask reads ASY103 kept.
_FLASK_REQUEST_ONLY = frozenset({
    "args", "form", "files", "values", "data", "json", "get_json", "get_data", "remote_addr",
    "endpoint", "view_args", "blueprint", "blueprints", "url_rule", "full_path", "host",
    "host_url", "url_root", "base_url", "environ", "user_agent", "is_json", "mimetype",
    "content_type", "content_length", "access_route", "authorization", "referrer",
    "accept_mimetypes", "is_secure", "scheme", "stream", "max_content_length"})
# Starlette methods of the same name, called by converted code (``await request.form()``).
_STARLETTE_METHODS = frozenset({"form", "json", "stream", "body"})
FLASK_REQUEST_ALIAS = "flask_request"


def unshadow_flask_request(p: Pass, function: cst.FunctionDef) -> cst.FunctionDef:
    """A view given a FastAPI ``request: Request`` parameter (for ``url_for``, headers…)
    that still reads Flask's global ``request`` where ASY103 kept it (``request.form["n"]``,
    TODO-marked): the parameter shadowed the global, and the Flask read hit the Starlette
    request (``'method' object is not subscriptable``). Those reads go through Flask's
    ``request`` imported as ``flask_request``, which the legacy request context serves."""
    names = {prm.name.value: prm for prm in (*function.params.params,
                                             *function.params.kwonly_params)}
    given = names.get("request")
    if (given is None or given.annotation is None
            or dotted(given.annotation.annotation) not in ("Request", "fastapi.Request")
            or "request" not in facts(p).kept):
        return function
    renamed = 0

    class _Flask(cst.CSTTransformer):
        def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
            return node is function  # a nested function has its own names

        def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
            func = updated.func
            if (isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name)
                    and func.value.value == FLASK_REQUEST_ALIAS
                    and func.attr.value in _STARLETTE_METHODS):
                # ``await request.form()``: the Starlette method, not a Flask read.
                nonlocal renamed
                renamed -= 1
                return updated.with_changes(func=func.with_changes(value=cst.Name("request")))
            return updated

        def leave_Attribute(self, original: cst.Attribute,
                            updated: cst.Attribute) -> cst.BaseExpression:
            nonlocal renamed
            if (isinstance(updated.value, cst.Name) and updated.value.value == "request"
                    and updated.attr.value in _FLASK_REQUEST_ONLY):
                renamed += 1
                return updated.with_changes(value=cst.Name(FLASK_REQUEST_ALIAS))
            return updated

    body = function.body.visit(_Flask())
    if not renamed:
        return function
    facts(p).flask_request_alias = True
    assert isinstance(body, cst.BaseSuite)
    return function.with_changes(body=body)


def import_flask_request_alias(p: Pass, module: cst.Module) -> cst.Module:
    """``from flask import request as flask_request`` after the module's imports, when a
    view reads Flask's request under that name (:func:`unshadow_flask_request`)."""
    if not facts(p).flask_request_alias:
        return module
    line = cst.parse_statement(f"from flask import request as {FLASK_REQUEST_ALIAS}\n")
    if any(s.deep_equals(line) for s in module.body):
        return module
    if not _global_request_read(module):  # every Flask read is flask_request's now
        module = _without_flask_request(module)
    return after_imports(module, [line])


def _global_request_read(module: cst.Module) -> bool:
    """Whether a name ``request`` is read anywhere it is not a function's own parameter."""
    found = False

    class _Reads(cst.CSTVisitor):
        def __init__(self) -> None:
            self.local: list[bool] = []

        def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
            own = any(prm.name.value == "request" for prm in (
                *node.params.params, *node.params.kwonly_params, *node.params.posonly_params))
            self.local.append(own or bool(self.local and self.local[-1]))

        def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
            self.local.pop()

        def visit_Param(self, node: cst.Param) -> bool:
            return False

        def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
            return False

        def visit_Name(self, node: cst.Name) -> None:
            nonlocal found
            if node.value == "request" and not (self.local and self.local[-1]):
                found = True

    module.visit(_Reads())
    return found


def _without_flask_request(module: cst.Module) -> cst.Module:
    """The module without ``request`` in its ``from flask import …``."""
    body = []
    for statement in module.body:
        if (isinstance(statement, cst.SimpleStatementLine)
                and isinstance(statement.body[0], cst.ImportFrom)
                and dotted(statement.body[0].module or cst.Name("")) == "flask"
                and not isinstance(statement.body[0].names, cst.ImportStar)):
            node = statement.body[0]
            assert not isinstance(node.names, cst.ImportStar)
            names = [a for a in node.names if not (dotted(a.name) == "request"
                                                     and a.asname is None)]
            if not names:
                continue
            if len(names) < len(node.names):
                names[-1] = names[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
                statement = statement.with_changes(body=[node.with_changes(names=names)])
        body.append(statement)
    return module.with_changes(body=body)


def add_params(function: cst.FunctionDef, params: list[cst.Param]) -> cst.FunctionDef:
    """Append parameters the function does not have yet, keeping defaults last."""
    have = {p.name.value for p in (*function.params.params, *function.params.kwonly_params)}
    new = [p for p in params if p.name.value not in have]
    if not new:
        return function
    old = list(function.params.params)
    without = [p for p in old if p.default is None] + [p for p in new if p.default is None]
    with_default = [p for p in old if p.default is not None] + [
        p for p in new if p.default is not None]
    ordered = [p.with_changes(comma=cst.MaybeSentinel.DEFAULT) for p in without + with_default]
    return function.with_changes(params=function.params.with_changes(params=ordered))


def param(name: str, annotation: str, default: cst.BaseExpression | None = None) -> cst.Param:
    return cst.Param(
        cst.Name(name), cst.Annotation(cst.parse_expression(annotation)), default=default,
        equal=cst.AssignEqual(cst.SimpleWhitespace(" "), cst.SimpleWhitespace(" "))
        if default is not None else cst.MaybeSentinel.DEFAULT,
    )


def prune_imports(p: Pass, module: cst.Module) -> cst.Module:
    """Drop imports of replaced Flask names the rewritten module no longer uses."""
    if not p.fired & RULES or facts(p).whole:
        return module
    f = facts(p)
    used = _used_names(f, module)
    # A compat twin imported under the same name (jsonify, abort, …) replaces Flask's.
    twins = {obj for _, obj in p.imports if obj} | ({"request", "g"} - f.kept)
    body: list[cst.CSTNode] = []
    for statement in module.body:
        first = statement.body[0] if isinstance(statement, cst.SimpleStatementLine) else None
        if isinstance(first, cst.ImportFrom) and not isinstance(first.names, cst.ImportStar):
            kept = [a for a in first.names
                    if not (f.local.get(bound_name(a)) in REPLACED
                            and (bound_name(a) not in used or bound_name(a) in twins))]
            if not kept:
                continue
            if len(kept) != len(first.names):
                kept[-1] = kept[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
                statement = statement.with_changes(body=[first.with_changes(
                    names=kept, lpar=None, rpar=None) if len(kept) < 4 else
                    first.with_changes(names=kept)])
        body.append(statement)
    return module.with_changes(body=body)


def _used_names(f: FileFacts, module: cst.Module) -> set[str]:
    """The names ``module`` uses (``UsedNames``), from each top-level statement's, visited
    once per statement object: the four rules that prune imports each see the module
    after the previous one's changes, most statements untouched."""
    used: set[str] = set()
    for statement in module.body:
        found = f.used.get(id(statement))
        if found is None or found[0] is not statement:
            visitor = UsedNames()
            statement.visit(visitor)
            found = f.used[id(statement)] = (statement, frozenset(visitor.names))
        used |= found[1]
    return used


def _smalls(statement: cst.CSTNode) -> tuple[cst.BaseSmallStatement, ...]:
    if isinstance(statement, cst.SimpleStatementLine):
        return tuple(statement.body)
    return ()
