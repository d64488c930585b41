"""What in a file stays with the legacy Flask app: the apps and blueprints the rest of the
program uses as Flask objects, and the functions a Flask object calls.

An app handed to a Flask extension (``SQLAlchemy(app)``, ``Migrate(app, db)``,
``ext.init_app(app)``), or whose Flask-only attributes are used (``app.config``,
``app.secret_key``, ``app.logger``…), fails at import as ``flask_app()``: it stays Flask, and
so does the rest of its module (its routes, hooks, helpers and blueprints all answer inside
it, and half a converted module is worse than none). A blueprint used that way
(``bp.app_errorhandler``, ``CORS(bp)``) stays Flask on its own.

A function that a Flask object registers (error handler, before/after_request hook, teardown
function, ``add_url_rule`` view…) is called by Flask and must return what Flask accepts, so
the rules leave its response and request code as it is. It is found when the registration
and the definition are in the same file (a function or a class's method, at module level or
in the factory making the registration); one defined elsewhere is not guessed at. A
recipe run over a project also keeps the functions of modules without views that nothing
serving requests names (``_callers``): ``_common.scan`` counts them as served.
"""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

from .._rule import dotted

# Uses of an app or blueprint the ASY1xx rules convert (or mark): ``@app.<m>(...)``,
# ``@app.<bare hook>``, the statement ``app.<m>(...)``; ``register_blueprint`` anywhere.
_DECORATORS = frozenset({"route", "get", "post", "put", "patch", "delete", "errorhandler",
                         "before_request", "after_request", "teardown_request",
                         "teardown_appcontext"})
_BARE = frozenset({"before_request", "after_request", "teardown_request",
                   "teardown_appcontext", "before_app_request", "after_app_request"})
_STATEMENTS = frozenset({"register_blueprint", "add_url_rule", "before_request",
                         "after_request", "teardown_request", "teardown_appcontext", "run"})
# Registrations only a Flask app or blueprint has: what they register is called by Flask.
# The argument holding the function: ``m(fn)``, ``m(key)(fn)`` / ``@m(key)``, or an index.
_HOOKS = frozenset({
    "before_request", "before_app_request", "before_first_request", "before_app_first_request",
    "after_request", "after_app_request", "teardown_request", "teardown_app_request",
    "teardown_appcontext", "context_processor", "app_context_processor",
    "url_value_preprocessor", "app_url_value_preprocessor", "url_defaults", "app_url_defaults",
})
_FACTORIES = frozenset({"errorhandler", "app_errorhandler", "route", "endpoint"})
_POSITIONAL = {"register_error_handler": (1, "f"), "add_url_rule": (2, "view_func")}
_SHOWN = 3  # uses named in a marker


def kept_owners(module: cst.Module, candidates: set[str]) -> dict[str, list[str]]:
    """The module-level apps/blueprints among ``candidates`` used as Flask objects → those
    uses, as code (``"app.config"``, ``"SQLAlchemy(app)"``), in source order."""
    if not candidates:
        return {}
    uses = _Uses(candidates)
    module.visit(uses)
    return {owner: list(dict.fromkeys(found)) for owner, found in uses.found.items()}


def kept_message(owner: str, uses: Sequence[str], app: bool) -> str:
    shown = ", ".join(uses[:_SHOWN]) + (", …" if len(uses) > _SHOWN else "")
    need = "needs" if len(uses) == 1 else "need"
    kind = "app" if app else "blueprint"
    return registered_message(owner, f"{shown} {need} Flask's {kind}", app)


def registered_message(owner: str, why: str, app: bool) -> str:
    """The marker of an app or blueprint the project-level pass keeps (``_callers``)."""
    if app:
        return (f"app {owner!r} stays Flask, and so does this module: {why}. Its routes, hooks "
                "and error handlers stay served by the legacy app; migrate them with `asyncify "
                "apply ENDPOINT` (the combined app serves the migrated ones and mounts this app)")
    return (f"blueprint {owner!r} stays Flask: {why}. Its routes, hooks and error handlers "
            "stay served by the legacy app; migrate them with `asyncify apply ENDPOINT` (the "
            "combined app serves the migrated ones and mounts the legacy app)")


def flask_served(module: cst.Module, converted: set[str], kept: set[str]) -> set[str]:
    """Qualnames (``f``, ``C.m``, ``make_app.<locals>.f``) of the functions and classes of
    this file that a Flask object registers: any registration on a ``kept`` owner, and the
    Flask-only ones on anything but a ``converted`` owner (an imported app, the factory's
    own, a parameter)."""
    found = _Registrations(converted, kept)
    module.visit(found)
    return found.served()


class _Uses(cst.CSTVisitor):
    def __init__(self, candidates: set[str]) -> None:
        self.candidates = candidates
        self.found: dict[str, list[str]] = {}
        self._stack: list[cst.CSTNode] = []
        self._shadowed: list[set[str]] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        self._stack.append(node)
        if isinstance(node, cst.FunctionDef | cst.Lambda):
            self._shadowed.append(_bound(node) & self.candidates)
        return super().on_visit(node)

    def on_leave(self, original_node: cst.CSTNode) -> None:
        super().on_leave(original_node)
        if isinstance(original_node, cst.FunctionDef | cst.Lambda):
            self._shadowed.pop()
        self._stack.pop()

    def visit_Name(self, node: cst.Name) -> None:
        name = node.value
        if name not in self.candidates or any(name in s for s in self._shadowed):
            return
        use = _flask_use(name, self._stack)
        if use is not None:
            self.found.setdefault(name, []).append(use)


def _parent(stack: list[cst.CSTNode], n: int) -> cst.CSTNode | None:
    return stack[-1 - n] if len(stack) > n else None


def _flask_use(name: str, stack: list[cst.CSTNode]) -> str | None:
    """``None`` when this use of the owner ``name`` (``stack[-1]``) is one the rules convert,
    else the use as code."""
    node, parent = stack[-1], _parent(stack, 1)
    if isinstance(parent, cst.Attribute) and parent.value is node:
        attr, grand = parent.attr.value, _parent(stack, 2)
        if isinstance(grand, cst.Call) and grand.func is parent:
            holder = _parent(stack, 3)
            if (attr == "register_blueprint"
                    or (isinstance(holder, cst.Decorator) and attr in _DECORATORS)
                    or (isinstance(holder, cst.Expr) and attr in _STATEMENTS)):
                return None
            return f"{name}.{attr}(…)"
        if isinstance(grand, cst.Decorator) and attr in _BARE:
            return None
        return f"{name}.{attr}"  # app.config, app.secret_key = …, app.logger.info(…)
    if isinstance(parent, cst.Arg) and parent.value is node:
        call = _parent(stack, 2)
        if isinstance(call, cst.Call):
            func = call.func
            if isinstance(func, cst.Attribute) and func.attr.value == "register_blueprint":
                return None
            return f"{dotted(func) or '…'}({name}{', …' if len(call.args) > 1 else ''})"
    if isinstance(parent, cst.Assign) and parent.value is node:
        return f"{dotted(parent.targets[0].target) or '…'} = {name}"  # ``application = app``
    if isinstance(parent, cst.Return) and parent.value is node:
        return f"return {name}"
    if isinstance(parent, _VALUE_HOLDERS) and getattr(parent, "value", None) is node:
        return f"{name} in a collection"
    return None  # an import, a parameter, an assignment target, ``x.app``


_VALUE_HOLDERS = (cst.Element, cst.DictElement, cst.StarredElement)


def _bound(node: cst.FunctionDef | cst.Lambda) -> set[str]:
    """Names a function binds itself (parameters and plain assignments): they shadow the
    module's owner of that name inside it."""
    params = node.params
    names = {p.name.value for p in (*params.params, *params.kwonly_params,
                                    *params.posonly_params)}
    names.update(star.name.value for star in (params.star_arg, params.star_kwarg)
                 if isinstance(star, cst.Param))
    if isinstance(node, cst.FunctionDef):
        assigned = _Assigned()
        node.body.visit(assigned)
        names |= assigned.names
    return names


class _Assigned(cst.CSTVisitor):
    """``name = ...`` targets of a function body, not of the functions and classes in it."""

    def __init__(self) -> None:
        self.names: set[str] = set()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        if isinstance(node.target, cst.Name):
            self.names.add(node.target.value)


class _Scoped(cst.CSTVisitor):
    """Keeps the qualname (as the index spells it) of the function or class being walked."""

    def __init__(self) -> None:
        self.path: list[tuple[str, str]] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.path.append(("def", node.name.value))

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.path.pop()

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.path.append(("class", node.name.value))

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self.path.pop()


def _qualname(path: Sequence[tuple[str, str]]) -> str:
    name, previous = "", ""
    for kind, part in path:
        name = part if not name else (f"{name}.<locals>.{part}" if previous == "def"
                                      else f"{name}.{part}")
        previous = kind
    return name


class _Registrations(_Scoped):
    """Every function/class definition, and the registrations met on the way: what they
    name is resolved once the whole module (definitions after them too) has been seen."""

    def __init__(self, converted: set[str], kept: set[str]) -> None:
        super().__init__()
        self.converted, self.kept = converted, kept
        self.definitions: set[str] = set()
        self._named: list[tuple[tuple[tuple[str, str], ...], str]] = []  # (where, dotted name)
        self._decorated_defs: set[str] = set()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._define(node)
        super().visit_FunctionDef(node)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._define(node)
        super().visit_ClassDef(node)

    def _define(self, node: cst.FunctionDef | cst.ClassDef) -> None:
        qualname = _qualname([*self.path, ("def", node.name.value)])
        self.definitions.add(qualname)
        for decorator in node.decorators:
            target = decorator.decorator
            method = self._registration(target.func if isinstance(target, cst.Call)
                                        else target)
            if method is not None and method not in _POSITIONAL:
                self._decorated_defs.add(qualname)

    def _registration(self, func: cst.BaseExpression) -> str | None:
        """The method name of ``receiver.method`` when it registers something on a receiver
        that may be a Flask object staying Flask (not an owner the rules convert)."""
        if not isinstance(func, cst.Attribute):
            return None
        receiver = func.value
        if isinstance(receiver, cst.Name) and receiver.value in self.converted:
            return None
        method = func.attr.value
        if (method in _HOOKS or method in _FACTORIES or method in _POSITIONAL
                or (isinstance(receiver, cst.Name) and receiver.value in self.kept)):
            return method
        return None

    def visit_Call(self, node: cst.Call) -> None:
        inner = node.func
        if isinstance(inner, cst.Call):  # ``app.errorhandler(404)(handler)``
            method = self._registration(inner.func)
            if method is not None and method not in _HOOKS and method not in _POSITIONAL:
                self._name(node.args[0].value if node.args else None)
            return
        method = self._registration(inner)
        if method in _HOOKS:
            self._name(node.args[0].value if node.args else None)
        elif method in _POSITIONAL:
            index, keyword = _POSITIONAL[method]
            named = next((a.value for a in node.args
                          if a.keyword and a.keyword.value == keyword), None)
            positional = [a.value for a in node.args if a.keyword is None]
            self._name(named if named is not None else
                       positional[index] if len(positional) > index else None)

    def _name(self, value: cst.BaseExpression | None) -> None:
        if (isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute)
                and value.func.attr.value == "as_view"):  # a class-based view
            value = value.func.value
        name = dotted(value) if value is not None else None
        if name is not None:
            self._named.append((tuple(self.path), name))

    def served(self) -> set[str]:
        found = set(self._decorated_defs)
        for path, name in self._named:
            resolved = self._resolve(path, name)
            if resolved is not None:
                found.add(resolved)
        return found

    def _resolve(self, path: tuple[tuple[str, str], ...], name: str) -> str | None:
        """The definition ``name`` refers to where it is registered: ``self.m`` in a class's
        method (an extension's ``init_app(self, app)``), a function of an enclosing one
        (the factory's own), else one at module level."""
        classes = [i for i, (kind, _) in enumerate(path) if kind == "class"]
        if name.startswith("self.") and classes:
            method = f"{_qualname(path[:classes[-1] + 1])}.{name.removeprefix('self.')}"
            return method if method in self.definitions else None
        for end in reversed([i for i, (kind, _) in enumerate(path) if kind == "def"]):
            scoped = f"{_qualname(path[:end + 1])}.<locals>.{name}"
            if scoped in self.definitions:
                return scoped
        return name if name in self.definitions else None


def within(qualname: str, served: set[str]) -> bool:
    """Whether the function or class ``qualname`` is, or is inside, one of ``served``."""
    parts = qualname.split(".")
    return any(".".join(parts[:end]) in served for end in range(1, len(parts) + 1))


# Flask helpers ASY104 replaces with an import of the same name (a compat twin, Starlette's
# ``Response``).
_TWINNED = frozenset({"flask.jsonify", "flask.abort", "flask.redirect", "flask.url_for",
                      "flask.Response"})


def shared_names(module: cst.Module, local: dict[str, str], served: set[str]) -> set[str]:
    """Local names of those Flask helpers that code the legacy app serves and code the rules
    convert both call: the twin's import takes the name, so the served code keeps Flask's
    through ``flask.<name>``."""
    names = {name for name, target in local.items() if target in _TWINNED}
    if not names or not served:
        return set()
    calls = _Calls(names, served)
    module.visit(calls)
    return calls.inside & calls.outside


class _Calls(_Scoped):
    def __init__(self, names: set[str], served: set[str]) -> None:
        super().__init__()
        self.names, self.served = names, served
        self.inside: set[str] = set()
        self.outside: set[str] = set()

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Name) and node.func.value in self.names:
            served = bool(self.path) and within(_qualname(self.path), self.served)
            (self.inside if served else self.outside).add(node.func.value)
