"""Flask endpoint discovery, statically: apps, blueprints (nested, registered in factories),
``route``/``get``/``post``… decorators, ``add_url_rule``, ``MethodView``, flask-restx /
Flask-RESTful ``Resource`` classes (see ``_restapi``), and the ``before_request`` hooks that
run in front of each endpoint."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from ._diagnostics import Diagnostic
from ._owner_aliases import find_aliases
from ._resolve import FunctionDef, Resolver, Scope, Value
from ._restapi import CALLS as REST_CALLS
from ._restapi import RestApis
from ._summary import Ref

FLASK_APP = "flask.Flask"
FLASK_BLUEPRINT = "flask.Blueprint"
HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
_SHORTCUTS = {"get": "GET", "post": "POST", "put": "PUT", "patch": "PATCH", "delete": "DELETE"}
# Request hooks: name → whether a blueprint's hook applies to the whole app.
_HOOKS = {
    "before_request": False, "before_app_request": True,
    "after_request": False, "after_app_request": True,
    "teardown_request": False, "teardown_app_request": True,
}  # fmt: skip
# Methods of apps and blueprints that take a view or hook as a value (not a callback hazard).
REGISTRATIONS = frozenset({
    "route", "add_url_rule", "register_error_handler", "errorhandler", "context_processor",
    "url_value_preprocessor", "url_defaults", "as_view", *_HOOKS,
})


@dataclass(frozen=True)
class Endpoint:
    """One URL rule as Flask would register it, with the code that serves it."""

    id: str
    name: str
    methods: tuple[str, ...]
    path: str
    view: str
    handlers: dict[str, str]
    file: str
    line: int
    app: str
    hooks: tuple[str, ...]
    dynamic: bool = False
    prefix: str = ""  # the URL prefix its blueprint registrations add ("" for app routes)
    rule: str = ""  # the rule as written on the route
    owner: str = ""  # the variable holding the blueprint (or app) the route is declared on
    # "blueprint" | "app" | "resource" (a flask-restx / Flask-RESTful Resource class, on the
    # app or blueprint its Api is attached to)
    owner_kind: str = ""


@dataclass(slots=True)
class _Owner:
    """An app or blueprint object, identified by the variable that holds it."""

    origin: str
    kind: str  # "app" | "blueprint"
    name: str
    url_prefix: str | None
    routes: list[_Route] = field(default_factory=list)
    children: list[_Registration] = field(default_factory=list)
    hooks: list[str] = field(default_factory=list)
    app_hooks: list[str] = field(default_factory=list)
    registered: bool = False


@dataclass(frozen=True, slots=True)
class _Route:
    rule: str | None
    methods: tuple[str, ...]
    view: str
    handlers: dict[str, str]
    endpoint: str
    file: str
    line: int
    resource: bool = False  # a Resource class: joined to its blueprint prefix by plain
    # concatenation, like the restx / Flask-RESTful blueprint patch does


@dataclass(frozen=True, slots=True)
class _Registration:
    child: str
    url_prefix: str | None
    name: str | None


def discover_endpoints(resolver: Resolver) -> tuple[list[Endpoint], list[Diagnostic]]:
    finder = _Finder(resolver)
    finder.run()
    return finder.compose()


class _Finder:
    def __init__(self, resolver: Resolver) -> None:
        self.resolver = resolver
        self.owners: dict[str, _Owner] = {}
        self.diagnostics: list[Diagnostic] = []
        self.rest = RestApis(self)
        # ``app = create_app()`` outside the factory: that variable → the factory's app.
        self.aliases: dict[str, str] = {}
        self._scopes: list[Scope] | None = None

    # --- scanning ---------------------------------------------------------------------

    def scopes(self) -> list[Scope]:
        """Every module body and function, built once (several passes walk them)."""
        if self._scopes is None:
            self._scopes = [*self.resolver.bodies.values()]
            self._scopes += [self.resolver.scope_of(fn) for fn in self.resolver.functions.values()]
        return self._scopes

    def run(self) -> None:
        for scope in self.scopes():
            self._find_owners(scope)
        find_aliases(self)
        for cls in self.resolver.classes.values():
            self.rest.class_attrs(cls)
        self.rest.settle()
        for scope in self.scopes():
            for call in scope.fn.calls:
                self._call(scope, call.ref)
        for fn in self.resolver.functions.values():
            self._decorators(fn)
        for cls in self.resolver.classes.values():
            if cls.summary.decorators:
                self.rest.decorators(cls)

    def _find_owners(self, scope: Scope) -> None:
        for name, ref, kind in scope.fn.bindings:
            if kind != "=" or ref[0] != "c":
                continue
            if scope.fn.qualname == "<module>" or name in scope.fn.global_names:
                origin = f"{scope.module.name}.{name}"
            else:
                origin = f"{scope.qname}.<locals>.{name}"
            func = self.resolver.resolve(ref[1], scope)
            kind_of = self._flask_kind(func)
            if kind_of is None:
                self.rest.binding(origin, ref, scope, func)
                continue
            args, kwargs = ref[2], dict(ref[3])
            if kind_of == "app":
                label = origin.rpartition(".")[2]
                self.owners[origin] = _Owner(origin, "app", label, None)
                continue
            bp_name = _literal(args[0] if args else kwargs.get("name"))
            prefix = _literal(kwargs.get("url_prefix"))
            self.owners[origin] = _Owner(
                origin, "blueprint", bp_name if isinstance(bp_name, str) else name,
                prefix if isinstance(prefix, str) else None)

    def _flask_kind(self, value: Value | None) -> str | None:
        if value is None or value.kind != "sym":
            return None
        names = (
            self.resolver.mro(value.qname) if value.qname in self.resolver.classes
            else [value.qname]
        )
        if FLASK_APP in names:
            return "app"
        if FLASK_BLUEPRINT in names:
            return "blueprint"
        return None

    def _owner(self, ref: Ref, scope: Scope) -> _Owner | None:
        value = self.resolver.resolve(ref, scope)
        if value is None:
            return None
        origin = value.origin or (value.qname if value.kind == "var" else None)
        if origin is None:
            return None
        return self.owners.get(self.aliases.get(origin, origin))

    def _call(self, scope: Scope, ref: Ref) -> None:
        func = ref[1]
        if func[0] != "a":
            return
        method = func[2]
        if method in REST_CALLS:
            self.rest.call(scope, ref)
            return
        if method not in ("add_url_rule", "register_blueprint", *_HOOKS):
            return
        owner = self._owner(func[1], scope)
        if owner is None:
            return
        args, kwargs = ref[2], dict(ref[3])
        where = scope.module.file.relpath
        if method == "register_blueprint":
            target = args[0] if args else kwargs.get("blueprint")
            child = self._owner(target, scope) if target is not None else None
            if child is None or child.kind != "blueprint":
                self.diagnostics.append(Diagnostic(
                    where, "cannot tell which blueprint is registered here",
                    "register a blueprint variable so asyncify can follow it", ref[4],
                    "warning"))
                return
            prefix = _literal(kwargs.get("url_prefix"))
            name = _literal(kwargs.get("name"))
            registration = _Registration(
                child.origin, prefix if isinstance(prefix, str) else None,
                name if isinstance(name, str) else None)
            if registration not in owner.children:  # the factory's app, set up twice
                owner.children.append(registration)
            return
        if method in _HOOKS:
            if args:
                self._hook(owner, method, args[0], scope)
            return
        rule_ref = args[0] if args else kwargs.get("rule")
        endpoint_ref = args[1] if len(args) > 1 else kwargs.get("endpoint")
        view_ref = args[2] if len(args) > 2 else kwargs.get("view_func")
        if view_ref is None:
            return
        view = self._view(view_ref, scope)
        if view is None:
            self.diagnostics.append(Diagnostic(
                where, "cannot tell which view add_url_rule registers",
                "pass a function or a View.as_view(...) defined in the project", ref[4],
                "warning"))
            return
        qname, handlers, default_name = view
        explicit = _literal(endpoint_ref) if endpoint_ref is not None else None
        methods = _methods(kwargs.get("methods"), tuple(handlers) if handlers else ("GET",))
        name = explicit if isinstance(explicit, str) else default_name
        self._add_route(owner, rule_ref, methods, qname, handlers, name, where, ref[4])

    def _view(self, ref: Ref, scope: Scope) -> tuple[str, dict[str, str], str] | None:
        """A view function, or ``SomeView.as_view("name")``: (qname, handlers, name)."""
        if ref[0] == "c" and ref[1][0] == "a" and ref[1][2] == "as_view":
            cls = self.resolver.resolve(ref[1][1], scope)
            if cls is None or cls.kind != "sym" or cls.qname not in self.resolver.classes:
                return None
            name = _literal(ref[2][0] if ref[2] else dict(ref[3]).get("name"))
            handlers = self._class_handlers(cls.qname)
            label = name if isinstance(name, str) else cls.qname.rpartition(".")[2]
            return cls.qname, handlers, label
        value = self.resolver.resolve(ref, scope)
        if value is None or value.kind != "sym" or value.qname not in self.resolver.functions:
            return None
        return value.qname, {}, value.qname.rpartition(".")[2]

    def _class_handlers(self, cls_qname: str) -> dict[str, str]:
        handlers = {}
        declared = None
        for current in self.resolver.mro(cls_qname):
            cls = self.resolver.classes.get(current)
            if cls is not None and declared is None and "methods" in cls.summary.attrs:
                found = _literal(cls.summary.attrs["methods"])
                if isinstance(found, tuple):
                    declared = tuple(str(m).upper() for m in found)
        for method in HTTP_METHODS:
            found_method = self.resolver.lookup_method(cls_qname, method.lower())
            if found_method is not None and (declared is None or method in declared):
                handlers[method] = found_method
        if not handlers:
            dispatch = self.resolver.lookup_method(cls_qname, "dispatch_request")
            if dispatch is not None:
                for method in declared or ("GET",):
                    handlers[method] = dispatch
        return handlers

    def _decorators(self, fn: FunctionDef) -> None:
        where = self.resolver.definition_scope(fn)
        relpath = fn.module.file.relpath
        for ref in fn.summary.decorators:
            if ref[0] == "a" and ref[2] in _HOOKS:
                owner = self._owner(ref[1], where)
                if owner is not None:
                    self._hook_name(owner, ref[2], fn.qname)
                continue
            if ref[0] != "c" or ref[1][0] != "a":
                continue
            method = ref[1][2]
            if method != "route" and method not in _SHORTCUTS:
                continue
            owner = self._owner(ref[1][1], where)
            if owner is None:
                continue
            args, kwargs = ref[2], dict(ref[3])
            rule_ref = args[0] if args else kwargs.get("rule")
            default = ("GET",) if method == "route" else (_SHORTCUTS[method],)
            methods = _methods(kwargs.get("methods"), default) if method == "route" else default
            explicit = _literal(kwargs.get("endpoint"))
            name = explicit if isinstance(explicit, str) else fn.qname.rpartition(".")[2]
            self._add_route(owner, rule_ref, methods, fn.qname, {}, name, relpath, ref[4])

    def _hook(self, owner: _Owner, method: str, ref: Ref, scope: Scope) -> None:
        value = self.resolver.resolve(ref, scope)
        if value is not None and value.kind == "sym" and value.qname in self.resolver.functions:
            self._hook_name(owner, method, value.qname)

    @staticmethod
    def _hook_name(owner: _Owner, method: str, qname: str) -> None:
        (owner.app_hooks if _HOOKS[method] else owner.hooks).append(qname)

    def _add_route(
        self, owner: _Owner, rule_ref: Ref | None, methods: tuple[str, ...], view: str,
        handlers: dict[str, str], endpoint: str, relpath: str, line: int,
    ) -> None:
        rule = _literal(rule_ref) if rule_ref is not None else None
        if not isinstance(rule, str):
            self.diagnostics.append(Diagnostic(
                relpath, f"route for {view} has a rule that is not a string literal; "
                "its path is reported as <dynamic>",
                "write the rule as a literal so plan can report it", line, "warning"))
            rule = None
        owner.routes.append(_Route(rule, methods, view, handlers, endpoint, relpath, line))

    # --- composing --------------------------------------------------------------------

    def compose(self) -> tuple[list[Endpoint], list[Diagnostic]]:
        self.rest.materialize()
        endpoints: list[Endpoint] = []
        apps = [o for o in self.owners.values() if o.kind == "app"]
        for app in apps:
            hooks = list(app.hooks)
            self._collect_app_hooks(app, hooks, set())
            self._emit(app, app, "", "", tuple(hooks), endpoints, [app.origin])
        for owner in self.owners.values():
            if owner.kind == "blueprint" and not owner.registered and owner.routes:
                first = owner.routes[0]
                self.diagnostics.append(Diagnostic(
                    first.file, f"blueprint {owner.name!r} ({owner.origin}) is never "
                    f"registered on an app; its {len(owner.routes)} route(s) are not served",
                    "register it with app.register_blueprint(...)", first.line, "warning"))
        seen: dict[str, int] = {}
        for endpoint in endpoints:
            seen[endpoint.view] = seen.get(endpoint.view, 0) + 1
        unique = []
        for endpoint in sorted(endpoints, key=lambda e: (e.path, e.methods, e.view)):
            if seen[endpoint.view] > 1:
                endpoint = _with_id(endpoint, f"{endpoint.view}[{endpoint.path}]")
            unique.append(endpoint)
        return unique, self.diagnostics

    def _collect_app_hooks(self, owner: _Owner, hooks: list[str], seen: set[str]) -> None:
        for registration in owner.children:
            child = self.owners[registration.child]
            if child.origin in seen:
                continue
            seen.add(child.origin)
            hooks.extend(child.app_hooks)
            self._collect_app_hooks(child, hooks, seen)

    def _emit(
        self, app: _Owner, owner: _Owner, prefix: str, name_prefix: str,
        hooks: tuple[str, ...], out: list[Endpoint], chain: list[str],
    ) -> None:
        for route in owner.routes:
            if route.rule is None:
                path = "<dynamic>"
            else:
                path = prefix + route.rule if route.resource else _join(prefix, route.rule)
            defined = self.resolver.functions.get(route.view) or self.resolver.classes.get(
                route.view)
            file, line = route.file, route.line
            if defined is not None:
                file, line = defined.module.file.relpath, defined.summary.line
            handlers = route.handlers or {m: route.view for m in route.methods}
            out.append(Endpoint(
                id=route.view,
                name=f"{name_prefix}{route.endpoint}",
                methods=route.methods,
                path=path,
                view=route.view,
                handlers=handlers,
                file=file,
                line=line,
                app=app.origin,
                hooks=tuple(dict.fromkeys(hooks)),
                dynamic=route.rule is None,
                prefix=prefix,
                rule=route.rule or "",
                owner=owner.origin,
                owner_kind="resource" if route.resource else owner.kind,
            ))
        for registration in owner.children:
            child = self.owners[registration.child]
            if child.origin in chain:
                continue
            child.registered = True
            child_prefix = (
                registration.url_prefix if registration.url_prefix is not None
                else child.url_prefix
            )
            full = _join_prefix(prefix, child_prefix)
            label = registration.name or child.name
            self._emit(app, child, full, f"{name_prefix}{label}.",
                       (*hooks, *child.hooks), out, [*chain, child.origin])


def _with_id(endpoint: Endpoint, new_id: str) -> Endpoint:
    return replace(endpoint, id=new_id)


def _literal(ref: Ref | None) -> object:
    if ref is None or ref[0] != "k":
        return None
    return ref[1]


def _methods(ref: Ref | None, default: tuple[str, ...]) -> tuple[str, ...]:
    found = _literal(ref)
    if isinstance(found, tuple) and all(isinstance(m, str) for m in found):
        return tuple(sorted({str(m).upper() for m in found}, key=_method_order))
    return default


def _method_order(method: str) -> int:
    return HTTP_METHODS.index(method) if method in HTTP_METHODS else len(HTTP_METHODS)


def _join(prefix: str, rule: str) -> str:
    """Flask's rule join (BlueprintSetupState.add_url_rule)."""
    if not prefix:
        return rule
    if rule:
        return "/".join((prefix.rstrip("/"), rule.lstrip("/")))
    return prefix


def _join_prefix(parent: str, child: str | None) -> str:
    """Flask's prefix join for nested blueprints (Blueprint.register)."""
    if parent and child:
        return parent.rstrip("/") + "/" + child.lstrip("/")
    return child or parent
