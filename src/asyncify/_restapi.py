"""flask-restx / flask-restplus / Flask-RESTful ``Api`` objects, found statically.

A ``Resource`` class becomes Flask URL rules only through an ``Api`` attached to an app or a
blueprint, so this module records apis, namespaces and resource registrations as it meets
them (in any order: ``@ns.route`` may come before or after ``api.add_namespace(ns)``) and
turns them into the same routes ``_endpoints`` emits for ``@app.route``. The names and rules
follow the libraries' own code: restx ``Api.default_endpoint`` (``<ns>_<camel_to_dash>``)
and ``Api.ns_urls`` / ``_complete_url`` (plain string concatenation); Flask-RESTful
``resource.__name__.lower()`` and ``prefix + url``. The documentation endpoints restx adds
itself (``specs``, ``doc``, ``root``, ``restx_doc.static``) are not user code and are not
reported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ._diagnostics import Diagnostic
from ._restargs import HelperCalls
from ._summary import Ref

if TYPE_CHECKING:
    from ._endpoints import _Finder
    from ._resolve import ClassDef, Scope, Value

_RESTX = ("flask_restx", "flask_restplus")
_APIS = {
    **{f"{pkg}.{name}": "restx" for pkg in _RESTX for name in ("Api", "api.Api")},
    "flask_restful.Api": "restful",
}
_NAMESPACES = frozenset(f"{pkg}.{name}" for pkg in _RESTX
                        for name in ("Namespace", "namespace.Namespace"))
# Methods of Api / Namespace objects this module follows.
CALLS = frozenset({"init_app", "add_namespace", "add_resource"})
_DECORATORS = frozenset({"route", "resource"})
_FIRST_CAP = re.compile(r"(.)([A-Z][a-z]+)")
_ALL_CAP = re.compile(r"([a-z0-9])([A-Z])")


@dataclass(slots=True)
class _Resource:
    cls: str
    urls: tuple[str | None, ...]
    endpoint: str | None
    methods: Ref | None
    file: str
    line: int


@dataclass(slots=True)
class _Namespace:
    origin: str
    name: str
    path: str | None
    resources: list[_Resource] = field(default_factory=list)


@dataclass(slots=True)
class _Api:
    origin: str
    flavour: str  # "restx" | "restful"
    prefix: str
    file: str
    line: int
    targets: list[str] = field(default_factory=list)  # app / blueprint origins
    namespaces: list[tuple[str, str | None]] = field(default_factory=list)  # (ns, path)
    resources: list[_Resource] = field(default_factory=list)  # default namespace

    @property
    def default(self) -> str:
        return f"{self.origin}.<default>"


class RestApis:
    """The apis and namespaces of a project, and the routes their resources become."""

    def __init__(self, finder: _Finder) -> None:
        self.finder = finder
        self.resolver = finder.resolver
        self.apis: dict[str, _Api] = {}
        self.namespaces: dict[str, _Namespace] = {}
        self._targets: list[tuple[str, Ref, Scope]] = []
        self._children: list[tuple[str, Ref, Scope]] = []
        self.helpers = HelperCalls(self)

    # --- finding ----------------------------------------------------------------------

    def binding(self, origin: str, ref: Ref, scope: Scope, func: Value | None) -> None:
        """``origin = ref``: an ``Api(...)``, a ``Namespace(...)`` or ``api.namespace(...)``
        (``func``: what the called expression resolves to; the caller has resolved it)."""
        if ref[0] != "c":
            return
        args, kwargs = ref[2], dict(ref[3])
        if ref[1][0] == "a" and ref[1][2] == "namespace":
            self._children.append((origin, ref, scope))
            return
        kind = self._kind(func)
        if kind == "namespace":
            self.namespaces[origin] = _namespace(origin, ref)
        elif kind is not None:
            prefix = _literal(kwargs.get("prefix"))
            api = _Api(origin, kind, prefix if isinstance(prefix, str) else "",
                       scope.module.file.relpath, ref[4])
            self.apis[origin] = api
            self.namespaces[api.default] = _Namespace(api.default, "default", "/")
            target = args[0] if args else kwargs.get("app")
            if target is not None:
                self._targets.append((origin, target, scope))

    def _kind(self, value: Value | None) -> str | None:
        if value is None or value.kind != "sym":
            return None
        names = (self.resolver.mro(value.qname) if value.qname in self.resolver.classes
                 else [value.qname])
        for name in names:
            if name in _APIS:
                return _APIS[name]
            if name in _NAMESPACES:
                return "namespace"
        return None

    def class_attrs(self, cls: ClassDef) -> None:
        """``class Dto: api = Namespace(...)`` — a namespace kept on a class (a common
        restx layout), known by ``<class>.<attr>``."""
        body = self.resolver.bodies[cls.module.name]
        for attr, ref in cls.summary.attrs.items():
            if ref[0] == "c":
                func = self.resolver.resolve(ref[1], body)
                self.binding(f"{cls.qname}.{attr}", ref, body, func)

    def settle(self) -> None:
        """Resolve what needed every owner known first: ``api.namespace(...)`` results and
        the app or blueprint each ``Api(...)`` is attached to."""
        for origin, ref, scope in self._children:
            api = self._api(ref[1][1], scope)
            if api is None:
                continue
            self.namespaces[origin] = _namespace(origin, ref)
            api.namespaces.append((origin, None))
        self.attach_pending()

    def attach_pending(self) -> None:
        targets, self._targets = self._targets, []
        for origin, target, scope in targets:
            self._attach(self.apis[origin], target, scope)

    def _attach(self, api: _Api, target: Ref, scope: Scope) -> None:
        owner = self.finder._owner(target, scope)
        if owner is None:
            self.finder.diagnostics.append(Diagnostic(
                scope.module.file.relpath, f"cannot tell which app or blueprint the Api "
                f"{api.origin} is attached to; its resources are not reported",
                "pass the app or blueprint variable to Api(...) or api.init_app(...)",
                api.line, "warning"))
            return
        if owner.origin not in api.targets:
            api.targets.append(owner.origin)

    def _names(self, ref: Ref, scope: Scope) -> list[str]:
        """The variables ``ref`` may stand for: its own, then (for an alias such as
        ``api = UserDto.api``) the one it was assigned from."""
        value = self.resolver.resolve(ref, scope)
        names = [] if value is None or value.origin is None else [value.origin]
        if value is not None and value.kind == "var":
            names.append(value.qname)
        if ref[0] == "n":  # a module name bound twice (imported, then assigned): the latter
            names.append(f"{scope.module.name}.{ref[1]}")
        return names

    def _api(self, ref: Ref, scope: Scope) -> _Api | None:
        return next((self.apis[n] for n in self._names(ref, scope) if n in self.apis), None)

    def _namespace(self, ref: Ref, scope: Scope) -> _Namespace | None:
        for name in self._names(ref, scope):
            api = self.apis.get(name)
            found = self.namespaces.get(api.default if api else name)
            if found is not None:
                return found
        return None

    def call(self, scope: Scope, ref: Ref) -> None:
        """``api.init_app(app)``, ``api.add_namespace(ns, path=)``, ``x.add_resource(R, ...)``."""
        method, base = ref[1][2], ref[1][1]
        args, kwargs = ref[2], dict(ref[3])
        if method == "init_app":
            api = self._api(base, scope)
            target = args[0] if args else kwargs.get("app")
            if api is not None and target is not None:
                self._attach(api, target, scope)
        elif method == "add_namespace":
            api = self._api(base, scope)
            target = args[0] if args else kwargs.get("ns")
            ns = self._namespace(target, scope) if target is not None else None
            if api is not None and ns is not None:
                path = _literal(args[1] if len(args) > 1 else kwargs.get("path"))
                api.namespaces.append((ns.origin, path if isinstance(path, str) else None))
            elif api is None and base[0] == "n" and base[1] in dict(scope.fn.params):
                self.helpers.defer(scope, ref, base[1])  # ``def draw(api, prefix)``
        elif args:
            ns = self._namespace(base, scope)
            cls = self.resolver.resolve(args[0], scope)
            if ns is not None and cls is not None and cls.qname in self.resolver.classes:
                self._register(ns, cls.qname, args[1:], kwargs, scope.module.file.relpath,
                               ref[4])

    def decorators(self, cls: ClassDef) -> None:
        """``@api.route(...)`` / ``@ns.route(...)`` (restx) and ``@api.resource(...)``."""
        body = self.resolver.bodies[cls.module.name]
        for ref in reversed(cls.summary.decorators):  # applied bottom-up
            if ref[0] != "c" or ref[1][0] != "a" or ref[1][2] not in _DECORATORS:
                continue
            ns = self._namespace(ref[1][1], body)
            if ns is not None:
                self._register(ns, cls.qname, ref[2], dict(ref[3]), cls.module.file.relpath,
                               ref[4])

    def _register(self, ns: _Namespace, cls: str, urls: tuple[Ref, ...],
                  kwargs: dict[str, Ref], file: str, line: int) -> None:
        rules = tuple(rule if isinstance(rule := _literal(u), str) else None for u in urls)
        endpoint = _literal(kwargs.get("endpoint"))
        ns.resources.append(_Resource(cls, rules, endpoint if isinstance(endpoint, str)
                                      else None, kwargs.get("methods"), file, line))

    # --- routes -----------------------------------------------------------------------

    def materialize(self) -> None:
        """Add every registered resource to the owners its api is attached to."""
        self.helpers.resolve()
        used: set[str] = set()
        for api in self.apis.values():
            namespaces = [(api.default, None), *api.namespaces]
            paths: dict[str, str | None] = {}  # restx keeps the path of the first add_namespace
            for ns_origin, path in namespaces:
                paths.setdefault(ns_origin, path)
            taken: set[str] = set()
            for ns_origin, _ in namespaces:  # each add_namespace registers the resources again
                ns, path = self.namespaces[ns_origin], paths[ns_origin]
                used.add(ns_origin)
                for resource in ns.resources:
                    name = self._endpoint_name(api, ns, resource, taken)
                    for owner_origin in api.targets:
                        self._add(api, ns, path, resource, name, owner_origin)
            if not api.targets and any(self.namespaces[n].resources for n, _ in namespaces):
                self.finder.diagnostics.append(Diagnostic(
                    api.file, f"Api {api.origin} is never attached to an app or blueprint; "
                    "its resources are not served",
                    "pass the app to Api(app) or call api.init_app(app)", api.line,
                    "warning"))
        for ns in self.namespaces.values():
            if ns.origin not in used and ns.resources:
                first = ns.resources[0]
                self.finder.diagnostics.append(Diagnostic(
                    first.file, f"namespace {ns.name!r} ({ns.origin}) is never added to an "
                    f"Api; its {len(ns.resources)} resource(s) are not served",
                    "add it with api.add_namespace(ns)", first.line, "warning"))

    @staticmethod
    def _endpoint_name(api: _Api, ns: _Namespace, resource: _Resource, taken: set[str]) -> str:
        if resource.endpoint is not None:
            taken.add(resource.endpoint)
            return resource.endpoint
        short = resource.cls.rpartition(".")[2]
        if api.flavour == "restful":
            return short.lower()
        name = _ALL_CAP.sub(r"\1_\2", _FIRST_CAP.sub(r"\1_\2", short)).lower()
        if ns.origin != api.default:
            name = f"{ns.name}_{name}"
        base, suffix = name, 2
        while name in taken:
            name, suffix = f"{base}_{suffix}", suffix + 1
        taken.add(name)
        return name

    def _add(self, api: _Api, ns: _Namespace, path: str | None, resource: _Resource,
             name: str, owner_origin: str) -> None:
        from ._endpoints import _methods, _Route

        owner = self.finder.owners[owner_origin]
        handlers = self.finder._class_handlers(resource.cls)
        if not handlers:
            return
        methods = _methods(resource.methods, tuple(handlers))
        handlers = {m: h for m, h in handlers.items() if m in methods} or handlers
        if api.flavour == "restx":
            ns_path = path if path is not None else (ns.path or "/" + ns.name).rstrip("/")
        else:
            ns_path = ""
        for url in resource.urls:
            rule = None if url is None else api.prefix + ns_path + url
            if rule is None:
                self.finder.diagnostics.append(Diagnostic(
                    resource.file, f"resource {resource.cls} has a url that is not a string "
                    "literal; its path is reported as <dynamic>",
                    "write the url as a literal so plan can report it", resource.line,
                    "warning"))
            owner.routes.append(_Route(rule, methods, resource.cls, handlers, name,
                                       resource.file, resource.line, resource=True))


def _namespace(origin: str, ref: Ref) -> _Namespace:
    """``Namespace(name, path=...)`` or ``api.namespace(name, path=...)`` called as ``ref``."""
    args, kwargs = ref[2], dict(ref[3])
    name = _literal(args[0] if args else kwargs.get("name"))
    path = _literal(kwargs.get("path"))
    return _Namespace(origin, name if isinstance(name, str) else origin.rpartition(".")[2],
                      path if isinstance(path, str) else None)


def _literal(ref: Ref | None) -> object:
    return ref[1] if ref is not None and ref[0] == "k" else None
