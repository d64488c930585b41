"""ASY102: ``@bp.route``/``@bp.get``… and ``add_url_rule`` → ``api_route``/``add_api_route``
with Flask's endpoint name (``"books.detail"``, so ``url_for`` strings keep working), GET
routes also answering HEAD, and Werkzeug converters as Starlette convertors (``<int:id>`` →
``{id:int}``: a non-number or a negative is still a 404, not a 422). Within a module, routes
are reordered so static ones come before parameter ones (Starlette takes the first match,
Werkzeug the most specific). A class-based view (``MethodView``/``View`` registered with
``Cls.as_view``) becomes one route per request method through ``asyncify.compat.class_view``.
Inexact converters and unsupported options become TODOs.
"""

from __future__ import annotations

import libcst as cst

from .._rule import Example, Rule, register
from ._common import (
    GATE,
    ROUTE_VERBS,
    VIEW_BASES,
    as_view_class,
    facts,
    flask_path,
    is_flask,
    keyword,
    owner_call,
    prune_imports,
    scan,
)

_UNSUPPORTED = ("strict_slashes", "defaults", "host", "subdomain", "redirect_to", "merge_slashes",
                "provide_automatic_options")


@register
class Routes(Rule):
    id = "ASY102"
    title = ("@bp.route/@bp.get… → @router.api_route with Flask's endpoint name, HEAD on GET "
             "routes, converters as Starlette convertors, static routes first")
    gate = GATE
    triggers = frozenset({"route", "get", "post", "put", "patch", "delete", "add_url_rule"})
    async_only = False
    examples = (
        Example("from flask import Flask\n\ndef index():\n    return 'hi'\n",
                "from flask import Flask\n\ndef index():\n    return 'hi'\n",
                why="no app or blueprint in this module: nothing is routed"),
        Example("from flask import request\n\ndef f(d):\n    return d.get('/x')\n",
                "from flask import request\n\ndef f(d):\n    return d.get('/x')\n",
                why=".get on something that is not an app or blueprint"),
        Example(
            "from flask import Blueprint\n\nbp = Blueprint('users', __name__)\n\n"
            "@bp.get('/<name>')\ndef user(name):\n    return name\n\n"
            "@bp.route('/me', methods=['GET', 'POST'])\ndef me():\n    return 'me'\n",
            "from flask import Blueprint\n\nbp = Blueprint('users', __name__)\n\n"
            "@bp.api_route('/me', methods=['GET', 'HEAD', 'POST'], name='users.me')\n"
            "def me():\n    return 'me'\n\n"
            "@bp.api_route('/{name}', methods=['GET', 'HEAD'], name='users.user')\n"
            "def user(name):\n    return name\n",
        ),
        Example(
            "from flask import Flask\n\napp = Flask(__name__)\n\n"
            "@app.route('/f/<float:x>')\ndef half(x):\n    return str(x / 2)\n",
            "from flask import Flask\n\napp = Flask(__name__)\n\n"
            "# TODO[asyncify ASY102]: converter <float:x> is not matched exactly by Starlette "
            "(e.g. Flask's float needs a dot, any()/custom converters do not exist): check "
            "which paths may reach the view — https://asyncify.readthedocs.io/en/latest/rules/"
            "#asy102\n@app.api_route('/f/{x:float}', methods=['GET', 'HEAD'], name='half')\n"
            "def half(x):\n    return str(x / 2)\n",
        ),
        Example(
            "from flask import Blueprint\nfrom flask.views import MethodView\n\n"
            "bp = Blueprint('items', __name__)\n\n"
            "class ItemAPI(MethodView):\n    def get(self, id):\n        return 'item'\n\n"
            "    def delete(self, id):\n        return 'gone'\n\n"
            "bp.add_url_rule('/<int:id>', view_func=ItemAPI.as_view('item'))\n",
            "from flask import Blueprint\nfrom asyncify.compat import class_view\n\n"
            "bp = Blueprint('items', __name__)\n\n"
            "class ItemAPI:\n    def get(self, id):\n        return 'item'\n\n"
            "    def delete(self, id):\n        return 'gone'\n\n"
            "bp.add_api_route('/{id:int}', class_view(ItemAPI, 'get'), methods=['GET', 'HEAD'], "
            "name='items.item')\n"
            "bp.add_api_route('/{id:int}', class_view(ItemAPI, 'delete'), methods=['DELETE'], "
            "name='items.item')\n",
        ),
    )

    def visit_Module(self, node: cst.Module) -> None:
        scan(self.p, node)
        self._classes: list[str] = []  # enclosing classes

    def _route_args(self, original: cst.CSTNode, owner: str, method: str, endpoint: str,
                    args: list[cst.Arg]) -> list[cst.Arg] | None:
        f = facts(self.p)
        path_arg = args[0] if args and args[0].keyword is None else None
        if path_arg is None or not isinstance(path_arg.value, cst.SimpleString):
            self.p.todo(self.id, original, "route path is not a string literal: convert "
                        "its <converter:name> parts to {name:convertor} by hand")
            return None
        quote = path_arg.value.quote
        path, _, inexact = flask_path(path_arg.value.raw_value)
        for converter in inexact:
            self.p.todo(self.id, original, f"converter {converter} is not matched exactly by "
                        "Starlette (e.g. Flask's float needs a dot, any()/custom converters do "
                        "not exist): check which paths may reach the view")
        methods: list[str] = [method.upper()] if method in ROUTE_VERBS else ["GET"]
        for arg in args[1:]:
            name = arg.keyword.value if arg.keyword else ""
            if name == "methods" and isinstance(arg.value, cst.List | cst.Tuple):
                methods = [e.value.raw_value.upper() for e in arg.value.elements
                           if isinstance(e.value, cst.SimpleString)]
            elif name == "endpoint" and isinstance(arg.value, cst.SimpleString):
                endpoint = arg.value.raw_value
            elif name in _UNSUPPORTED or name:
                self.p.todo(self.id, original, f"route option {name}= has no FastAPI "
                            "equivalent; dropped")
        if "GET" in methods and "HEAD" not in methods:
            methods.insert(methods.index("GET") + 1, "HEAD")
        bp_name = f.blueprints.get(owner)
        name = f"{bp_name}.{endpoint}" if bp_name else endpoint
        return [
            cst.Arg(cst.SimpleString(f"{quote}{path}{quote}")),
            keyword("methods", cst.List([cst.Element(cst.SimpleString(f"{quote}{m}{quote}"))
                                         for m in methods])),
            keyword("name", cst.SimpleString(f"{quote}{name}{quote}")),
        ]

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._classes.append(node.name.value)

    def leave_FunctionDef(self, original: cst.FunctionDef,
                          updated: cst.FunctionDef) -> cst.FunctionDef:
        f = facts(self.p)
        if self._classes:
            found = f.class_views.get(self._classes[-1])
            if found is not None and original.name.value in found.handlers:
                for decorator in original.decorators:
                    self.p.todo(self.id, decorator, "a decorator on a class view's method: "
                                "FastAPI reads the method's signature through it, and one "
                                "that reads Flask's request/g must become a dependency")
            return updated
        decorators = list(updated.decorators)
        routed = False
        for index, decorator in enumerate(original.decorators):
            owner, method = owner_call(f, decorator.decorator)
            if owner is None or method not in ("route", *ROUTE_VERBS):
                if routed:
                    self.p.todo(self.id, decorator, "a decorator between the route and the "
                                "view: FastAPI reads the view's signature through it, and one "
                                "that reads Flask's request/g must become a dependency")
                continue
            routed = True
            call = decorator.decorator
            assert isinstance(call, cst.Call)
            args = self._route_args(decorator, owner, method, original.name.value,
                                    list(call.args))
            if args is not None:
                self.p.changed(self.id)
                decorators[index] = decorators[index].with_changes(decorator=cst.Call(
                    cst.Attribute(cst.Name(owner), cst.Name("api_route")), args))
        return updated.with_changes(decorators=decorators)

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        owner, method = owner_call(facts(self.p), original)
        if owner is None or method != "add_url_rule" or not isinstance(updated.func,
                                                                       cst.Attribute):
            return updated
        args = list(updated.args)
        view = next((a for a in args if a.keyword and a.keyword.value == "view_func"),
                    args[2] if len(args) > 2 and args[2].keyword is None else None)
        if view is not None and as_view_class(view.value) in facts(self.p).class_views:
            return updated  # one route per request method: leave_SimpleStatementLine
        if view is None or not isinstance(view.value, cst.Name):
            self.p.todo(self.id, original, "add_url_rule with a computed view (MethodView."
                        "as_view?): one add_api_route per method, by hand")
            return updated
        endpoint = args[1].value if len(args) > 1 and args[1].keyword is None else None
        rest = [a for a in args[1:] if a is not view and a.keyword is not None
                and a.keyword.value not in ("view_func",)]
        name = (endpoint.raw_value if isinstance(endpoint, cst.SimpleString)
                else view.value.value)
        route = self._route_args(original, owner, "route", name, [args[0], *rest])
        if route is None:
            return updated
        self.p.changed(self.id)
        return updated.with_changes(func=updated.func.with_changes(
            attr=cst.Name("add_api_route")), args=[route[0], cst.Arg(view.value), *route[1:]])

    def leave_SimpleStatementLine(
        self, original: cst.SimpleStatementLine, updated: cst.SimpleStatementLine
    ) -> cst.BaseStatement | cst.FlattenSentinel[cst.BaseStatement]:
        """``bp.add_url_rule(rule, view_func=Cls.as_view("name", *a, **k))`` → one
        ``add_api_route`` per request method, each calling ``class_view(Cls, "get", *a,
        **k)``: an instance per request (as Flask's ``as_view``), ``decorators`` applied."""
        small = updated.body[0] if len(updated.body) == 1 else None
        call = small.value if isinstance(small, cst.Expr) else None
        if not isinstance(call, cst.Call):
            return updated
        owner, method = owner_call(facts(self.p), call)
        if owner is None or method != "add_url_rule":
            return updated
        args = list(call.args)
        view = next((a for a in args if a.keyword and a.keyword.value == "view_func"),
                    args[2] if len(args) > 2 and args[2].keyword is None else None)
        cls = as_view_class(view.value) if view is not None else None
        found = facts(self.p).class_views.get(cls or "")
        if view is None or cls is None or found is None:
            return updated
        assert isinstance(view.value, cst.Call)
        as_view = list(view.value.args)
        endpoint = args[1].value if len(args) > 1 and args[1].keyword is None else None
        if not isinstance(endpoint, cst.SimpleString):
            endpoint = as_view[0].value if as_view and as_view[0].keyword is None else None
        if not isinstance(endpoint, cst.SimpleString):
            self.p.todo(self.id, original, "class view registered under a computed name: "
                        "one add_api_route per method, by hand")
            return updated
        routes = _class_routes(found.base, found.handlers, found.methods)
        if routes is None:
            self.p.todo(self.id, original, f"{cls}.methods is computed (or lists a method "
                        "the class does not define): one add_api_route per method, by hand")
            return updated
        rest = [a for a in args[1:] if a is not view and a.keyword is not None
                and a.keyword.value not in ("view_func", "methods")]
        lines: list[cst.BaseStatement] = []
        for handler, methods in routes:
            route = self._route_args(original, owner, "route", endpoint.raw_value,
                                     [args[0], *rest])
            if route is None:
                return updated
            quote = endpoint.quote
            route[1] = keyword("methods", cst.List([
                cst.Element(cst.SimpleString(f"{quote}{m}{quote}")) for m in methods]))
            self.p.need_import("asyncify.compat", "class_view")
            target = cst.Call(cst.Name("class_view"), [
                cst.Arg(cst.Name(cls)), cst.Arg(cst.SimpleString(f"{quote}{handler}{quote}")),
                *[a.with_changes(comma=cst.MaybeSentinel.DEFAULT) for a in as_view[1:]]])
            lines.append(updated.with_changes(
                leading_lines=updated.leading_lines if not lines else [],
                body=[cst.Expr(call.with_changes(
                    func=cst.Attribute(cst.Name(owner), cst.Name("add_api_route")),
                    args=[route[0], cst.Arg(target), *route[1:]]))]))
        self.p.changed(self.id)
        return cst.FlattenSentinel(lines)

    def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef) -> cst.ClassDef:
        """A class view no longer needs Flask's base: the routes call its methods."""
        self._classes.pop()
        found = facts(self.p).class_views.get(original.name.value)
        if found is None or _class_routes(found.base, found.handlers, found.methods) is None:
            return updated  # not routed here: it stays a Flask view
        bases = [b for b in updated.bases
                 if not any(is_flask(self.p, b.value, n.partition(".")[2]) for n in VIEW_BASES)]
        if len(bases) == len(updated.bases):
            return updated
        self.p.changed(self.id)
        if not bases:
            return updated.with_changes(bases=[], lpar=cst.MaybeSentinel.DEFAULT,
                                        rpar=cst.MaybeSentinel.DEFAULT)
        bases[-1] = bases[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        return updated.with_changes(bases=bases)

    def leave_Module(self, original: cst.Module, updated: cst.Module) -> cst.Module:
        """Static routes before parameter routes, each router's functions keeping their
        slots in the module (a stable sort: equal keys keep their order)."""
        body = list(updated.body)
        slots = [i for i, s in enumerate(body) if isinstance(s, cst.FunctionDef)
                 and _route_path(s) is not None]
        ordered = sorted((body[i] for i in slots), key=lambda s: _specificity(_route_path(s)))
        if [body[i] for i in slots] == ordered:
            return prune_imports(self.p, updated)
        for slot, statement in zip(slots, ordered, strict=True):
            body[slot] = statement
        return prune_imports(self.p, updated.with_changes(body=body))


def _route_path(function: cst.CSTNode) -> str | None:
    assert isinstance(function, cst.FunctionDef)
    for decorator in function.decorators:
        call = decorator.decorator
        if (isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute)
                and call.func.attr.value == "api_route" and call.args
                and isinstance(call.args[0].value, cst.SimpleString)):
            return call.args[0].value.raw_value
    return None


def _specificity(path: str | None) -> tuple[int, ...]:
    """Per segment 0 (static) or 1 (parameter): a static segment sorts first."""
    return tuple(1 if "{" in part else 0 for part in (path or "").split("/"))


def _class_routes(
    base: str, handlers: list[str], methods: list[str] | None
) -> list[tuple[str, list[str]]] | None:
    """``[(method name, HTTP methods)]`` as Flask dispatches a class view: a
    ``MethodView`` calls the method named after the request's (HEAD falls back to ``get``),
    a ``View`` calls ``dispatch_request``; GET routes answer HEAD. ``None``: not static."""
    if methods == []:
        return None
    if base == "flask.views.View":
        if not handlers:
            return None
        wanted = methods or ["GET"]
        if "GET" in wanted and "HEAD" not in wanted:
            wanted = [*wanted, "HEAD"]
        return [("dispatch_request", wanted)]
    wanted = methods if methods is not None else [m.upper() for m in handlers]
    routes: list[tuple[str, list[str]]] = []
    for verb in wanted:
        name = verb.lower()
        if verb == "HEAD" and "head" not in handlers:
            continue  # answered by get
        if name not in handlers:
            return None
        extra = ["HEAD"] if name == "get" and "head" not in handlers else []
        routes.append((name, [verb, *extra]))
    return routes
