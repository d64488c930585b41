"""ASY103: the global ``request`` in views and before_request hooks → declared parameters.

``request.args.get("k", d, type=int)`` → ``k: Annotated[int, Query(), lenient(int, d)] = d``
(a value ``int`` rejects still falls back to the default, as in Flask: no 422);
``request.form.get("k", d)`` → a ``Form()`` parameter; ``request.get_json()`` → a
``get_json`` dependency with Flask's 415/400 answers; anything else on ``request`` keeps a
Starlette ``request: Request`` parameter (``.path`` → ``.url.path``); ``g.x`` →
``request.state.x``. What has no exact equivalent gets a TODO.
"""

from __future__ import annotations

import keyword as py_keyword

import libcst as cst

from .._rule import Example, Rule, register
from ._common import (
    GATE,
    add_params,
    facts,
    is_flask,
    legacy,
    param,
    prune_imports,
    scan,
    unshadow_flask_request,
    view_key,
)

_SAME = frozenset({"headers", "cookies", "method", "query_params"})
_TYPES = frozenset({"int", "float", "bool", "str"})


@register
class RequestData(Rule):
    id = "ASY103"
    title = ("request.args/form/get_json()/g in views → typed Query/Form parameters, a "
             "get_json dependency, request: Request and request.state")
    gate = GATE
    triggers = frozenset({"request", "g."})
    async_only = False
    examples = (
        Example("from flask import request\n\ndef helper():\n    return 1\n",
                "from flask import request\n\ndef helper():\n    return 1\n",
                why="imports request but no view reads it"),
        Example(
            "from flask import Blueprint, request\n\nbp = Blueprint('b', __name__)\n\n"
            "@bp.get('/')\ndef items():\n    page = request.args.get('page', 1, type=int)\n"
            "    q = request.args.get('q')\n    return {'page': page, 'q': q, "
            "'ua': request.headers.get('User-Agent')}\n",
            "from flask import Blueprint\nfrom typing import Annotated\n"
            "from fastapi import Query, Request\nfrom asyncify.compat import lenient\n\n"
            "bp = Blueprint('b', __name__)\n\n@bp.get('/')\n"
            "def items(request: Request, page: Annotated[int, Query(), lenient(int, 1)] = 1, "
            "q: Annotated[str | None, Query()] = None):\n"
            "    return {'page': page, 'q': q, 'ua': request.headers.get('User-Agent')}\n",
        ),
    )

    def visit_Module(self, node: cst.Module) -> None:
        scan(self.p, node)
        self._stack: list[dict[str, cst.Param] | None] = []
        self._classes: list[str] = []  # enclosing classes (a class view's methods)
        self._handled: set[int] = set()  # request.args/.form nodes that leave_Call handles

    def leave_Module(self, original: cst.Module, updated: cst.Module) -> cst.Module:
        return prune_imports(self.p, updated)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._classes.append(node.name.value)

    def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef) -> cst.ClassDef:
        self._classes.pop()
        return updated

    def visit_Call(self, node: cst.Call) -> None:
        # ``request.args.get(...)`` / ``.getlist(...)``: leave_Call converts it or marks it,
        # so leave_Attribute must not treat its ``request.args`` as a direct use.
        func = node.func
        if (self._params() is not None and isinstance(func, cst.Attribute)
                and func.attr.value in ("get", "getlist") and isinstance(func.value, cst.Attribute)
                and func.value.attr.value in ("args", "form")
                and is_flask(self.p, func.value.value, "request")):
            self._handled.add(id(func.value))

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        f = facts(self.p)
        name = view_key(self._classes, node.name.value)
        self._stack.append({} if name in f.views or name in f.hooks else None)

    def _params(self) -> dict[str, cst.Param] | None:
        return self._stack[-1] if self._stack else None

    def leave_FunctionDef(self, original: cst.FunctionDef,
                          updated: cst.FunctionDef) -> cst.FunctionDef:
        params = self._stack.pop()
        if not params:
            return updated
        self.p.changed(self.id)
        return unshadow_flask_request(self.p, add_params(updated, list(params.values())))

    def _need_request(self) -> cst.Name:
        params = self._params()
        assert params is not None
        self.p.need_import("fastapi", "Request")
        params.setdefault("request", param("request", "Request"))
        return cst.Name("request")

    def _keep(self, node: cst.BaseExpression, flask_name: str) -> None:
        """Flask's ``flask_name`` stays used here, under its local name (not pruned)."""
        facts(self.p).kept.add(node.value if isinstance(node, cst.Name) else flask_name)

    def leave_Attribute(self, original: cst.Attribute,
                        updated: cst.Attribute) -> cst.BaseExpression:
        params = self._params()
        if is_flask(self.p, original.value, "g"):
            if self.p.file.legacy_context:
                # A twin answers inside the legacy request context: ``g`` is the legacy
                # hooks' (a ``g.user`` their before_request set), request.state is not.
                self._keep(original.value, "g")
                return updated
            if params is None:
                self._keep(original.value, "g")
                if legacy(self.p):
                    return updated  # served by the legacy Flask app: Flask's helpers stay
                self.p.todo(self.id, original, "g outside a view: pass request and use "
                            "request.state")
                return updated
            return cst.Attribute(cst.Attribute(self._need_request(), cst.Name("state")),
                                 original.attr)
        if not is_flask(self.p, original.value, "request"):
            return updated
        if params is None:
            self._keep(original.value, "request")
            if legacy(self.p):
                return updated  # served by the legacy Flask app: Flask's helpers stay
            self.p.todo(self.id, original, "the global request outside a view or hook: pass "
                        "request: Request down from the endpoint")
            return updated
        attr = original.attr.value
        if attr in _SAME:
            return updated.with_changes(value=self._need_request())
        if attr == "path":
            return cst.Attribute(cst.Attribute(self._need_request(), cst.Name("url")),
                                 cst.Name("path"))
        if attr == "json":
            return self._json(original, silent=False)
        if attr == "get_json" or id(original) in self._handled:
            return updated  # handled by leave_Call on the enclosing .get()/.getlist()/()
        if attr in ("args", "form", "files"):
            # request.args["k"], request.files[...], dict(request.form)…: Flask's request is
            # still what answers (inside the legacy request context): keep its import.
            facts(self.p).kept.add(original.value.value if isinstance(
                original.value, cst.Name) else "request")
            self.p.todo(self.id, original, f"request.{attr} used directly: it reads Flask's "
                        "request, which only the legacy request context provides (the combined "
                        "app); declare a Query/Form/UploadFile parameter by hand")
            return updated
        self.p.todo(self.id, original, f"request.{attr} has no converted form; the Starlette "
                    "Request differs (remote_addr → request.client.host, data → await "
                    "request.body())")
        return updated.with_changes(value=self._need_request())

    def _json(self, original: cst.CSTNode, silent: bool) -> cst.BaseExpression:
        params = self._params()
        assert params is not None
        dep = "get_json_silent" if silent else "get_json"
        name = "json_body_silent" if silent else "json_body"
        self.p.need_import("typing", "Annotated")
        self.p.need_import("typing", "Any")
        self.p.need_import("fastapi", "Depends")
        self.p.need_import("asyncify.compat", dep)
        params.setdefault(name, param(name, f"Annotated[Any, Depends({dep})]"))
        return cst.Name(name)

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        params = self._params()
        func = original.func
        if params is None or not isinstance(func, cst.Attribute):
            return updated
        if is_flask(self.p, func.value, "request") and func.attr.value == "get_json":
            silent = any(a.keyword and a.keyword.value == "silent" and isinstance(
                a.value, cst.Name) and a.value.value == "True" for a in original.args)
            if any(a.keyword and a.keyword.value == "force" for a in original.args):
                self.p.todo(self.id, original, "get_json(force=True): use json.loads(await "
                            "request.body()) in an async view")
                return updated
            return self._json(original, silent)
        source = func.value
        if not (isinstance(source, cst.Attribute) and is_flask(self.p, source.value, "request")
                and source.attr.value in ("args", "form")
                and func.attr.value in ("get", "getlist")):
            return updated
        kind = "Query" if source.attr.value == "args" else "Form"
        args = list(original.args)
        if func.attr.value == "getlist":
            return self._getlist(original, updated, source, kind, args)
        key = args[0].value if args else None
        default: cst.BaseExpression = cst.Name("None")
        type_name: str | None = None
        for position, arg in enumerate(args[1:]):
            if (arg.keyword is None and position == 0) or (arg.keyword and arg.keyword.value == "default"):
                default = arg.value
            elif arg.keyword and arg.keyword.value == "type" and isinstance(arg.value, cst.Name):
                type_name = arg.value.value
            else:
                type_name = "?"
        name = key.raw_value if isinstance(key, cst.SimpleString) else ""
        literal = isinstance(default, cst.Integer | cst.Float | cst.SimpleString | cst.Name)
        if (not name.isidentifier() or py_keyword.iskeyword(name) or name == "request"
                or (type_name is not None and type_name not in _TYPES) or not literal
                or name in {p.name.value for p in original_params(self)}):
            self.p.todo(self.id, original, f"request.{source.attr.value}.get with a computed "
                        "key, default or type: read request.query_params / await "
                        "request.form() by hand")
            # The Flask ``request`` stays in use here: keep its import.
            facts(self.p).kept.add(source.value.value if isinstance(source.value, cst.Name)
                                   else "request")
            return updated
        self.p.need_import("typing", "Annotated")
        self.p.need_import("fastapi", kind)
        text = cst.Module([]).code_for_node(default)
        if type_name is not None and type_name != "str":
            self.p.need_import("asyncify.compat", "lenient")
            optional = " | None" if text == "None" else ""
            note = f"Annotated[{type_name}{optional}, {kind}(), lenient({type_name}, {text})]"
        else:
            optional = " | None" if text == "None" else ""
            note = f"Annotated[str{optional}, {kind}()]"
        params.setdefault(name, param(name, note, default))
        return cst.Name(name)

    def _getlist(self, original: cst.Call, updated: cst.Call, source: cst.Attribute,
                 kind: str, args: list[cst.Arg]) -> cst.BaseExpression:
        """``request.args.getlist("t")`` → ``t: Annotated[list[str], Query()] = []`` (Flask
        gives ``[]`` when the key is missing, and so does the parameter's default)."""
        params = self._params()
        assert params is not None
        key = args[0].value if len(args) == 1 and args[0].keyword is None else None
        name = key.raw_value if isinstance(key, cst.SimpleString) else ""
        if (not name.isidentifier() or py_keyword.iskeyword(name) or name == "request"
                or name in {p.name.value for p in original_params(self)}):
            self.p.todo(self.id, original, f"request.{source.attr.value}.getlist with a "
                        "computed key or a type: read request.query_params.getlist / await "
                        "request.form() by hand")
            facts(self.p).kept.add(source.value.value if isinstance(source.value, cst.Name)
                                   else "request")
            return updated
        self.p.need_import("typing", "Annotated")
        self.p.need_import("fastapi", kind)
        params.setdefault(name, param(name, f"Annotated[list[str], {kind}()]",
                                      cst.List([])))
        return cst.Name(name)

    def leave_SimpleStatementLine(
        self, original: cst.SimpleStatementLine, updated: cst.SimpleStatementLine,
    ) -> cst.SimpleStatementLine | cst.RemovalSentinel:
        # ``page = page`` left by the parameter conversion: drop it.
        only = updated.body[0] if len(updated.body) == 1 else None
        if (isinstance(only, cst.Assign) and len(only.targets) == 1
                and isinstance(only.targets[0].target, cst.Name)
                and isinstance(only.value, cst.Name)
                and only.targets[0].target.value == only.value.value
                and self._params()):
            return cst.RemovalSentinel.REMOVE
        return updated


def original_params(rule: RequestData) -> list[cst.Param]:
    """The enclosing function's own parameters (path parameters and the like)."""
    for node in reversed(rule.p._stack):
        if isinstance(node, cst.FunctionDef):
            return [*node.params.params, *node.params.kwonly_params]
    return []
