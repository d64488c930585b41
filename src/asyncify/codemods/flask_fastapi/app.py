"""ASY101: the Flask app and its blueprints → a FastAPI app (``flask_app()``, which keeps
Flask's error pages and 308 trailing-slash redirect) and ``APIRouter``s; ``register_blueprint``
→ ``include_router``; ``errorhandler`` → ``exception_handler`` through ``flask_error_handler``
(int keys also catch the router's own 404/405); a blueprint's ``before_request`` → a router
dependency that can still answer early. App-wide hooks, ``after_request``, teardown and
blueprint-scoped error handlers become TODOs (FastAPI has no exact equivalent). An app or
blueprint a Flask-RESTful / flask-restx / flask-restplus ``Api`` wraps (see ``_restful``), or
that an extension or Flask-only code uses (``SQLAlchemy(app)``, ``app.config``; see
``_legacy``), stays Flask with a marker: what it serves stays with the legacy app, and a
module whose app stays Flask is left as it is.
"""

from __future__ import annotations

import libcst as cst

from .._rule import Example, Rule, register
from ._common import GATE, facts, is_flask, keyword, owner_call, owner_hook, prune_imports, scan

_HTTP_EXC = ("werkzeug.exceptions.HTTPException", "werkzeug.exceptions")
_HOOK_TODO = {
    "after_request": "after_request → @app.middleware('http') (headers after call_next); "
                     "Flask skips it on unhandled errors, middleware does not",
    "teardown_request": "teardown_request → a yield dependency (Depends(..., scope='function'))",
    "teardown_appcontext": "teardown_appcontext → the lifespan or a yield dependency",
}


@register
class AppAndBlueprints(Rule):
    id = "ASY101"
    title = ("Flask app/Blueprint → flask_app()/APIRouter(prefix=…); register_blueprint, "
             "errorhandler and blueprint before_request → their FastAPI equivalents")
    gate = GATE
    triggers = frozenset({"Flask", "Blueprint"})
    async_only = False
    examples = (
        Example("from fastapi import APIRouter\n\nrouter = APIRouter(prefix='/x')\n",
                "from fastapi import APIRouter\n\nrouter = APIRouter(prefix='/x')\n",
                why="already FastAPI: nothing imports flask"),
        Example("import flask\n\ndef make():\n    return {'Blueprint': 1}\n",
                "import flask\n\ndef make():\n    return {'Blueprint': 1}\n",
                why="mentions Blueprint but creates none"),
        Example(
            "from flask import Flask\nfrom flask_restful import Api\n\n"
            "app = Flask(__name__)\napi = Api(app)\n",
            "from flask import Flask\nfrom flask_restful import Api\n\n"
            "# TODO[asyncify ASY101]: app 'app' is wrapped by a flask_restful Api: its Resource "
            "endpoints need Flask's app (handle_exception…), so it stays Flask and is served by "
            "the legacy app behind the gateway; port each Resource method to an APIRouter "
            "route by hand to move it — https://asyncify.readthedocs.io/en/latest/rules/#asy101\n"
            "app = Flask(__name__)\napi = Api(app)\n",
        ),
        Example(
            "from flask import Flask\nfrom flask_sqlalchemy import SQLAlchemy\n\n"
            "app = Flask(__name__)\napp.config['SQLALCHEMY_DATABASE_URI'] = 'sqlite://'\n"
            "db = SQLAlchemy(app)\n",
            "from flask import Flask\nfrom flask_sqlalchemy import SQLAlchemy\n\n"
            "# TODO[asyncify ASY101]: app 'app' stays Flask, and so does this module: "
            "app.config, SQLAlchemy(app) need Flask's app. Its routes, hooks and error "
            "handlers stay served by the legacy app; migrate them with `asyncify apply "
            "ENDPOINT` (the combined app serves the migrated ones and mounts this app) — "
            "https://asyncify.readthedocs.io/en/latest/rules/#asy101\n"
            "app = Flask(__name__)\napp.config['SQLALCHEMY_DATABASE_URI'] = 'sqlite://'\n"
            "db = SQLAlchemy(app)\n",
        ),
        Example(
            "from flask import Blueprint\nfrom .auth import check_token\n\n"
            "bp = Blueprint('admin', __name__, url_prefix='/admin')\nbp.before_request(check_token)\n",
            "from fastapi import APIRouter, Depends\n"
            "from asyncify.compat import before_request\nfrom .auth import check_token\n\n"
            "bp = APIRouter(prefix='/admin')\n"
            "bp.dependencies.append(Depends(before_request(check_token)))\n",
        ),
        Example(
            "from flask import Flask, jsonify\nfrom werkzeug.exceptions import HTTPException\n\n"
            "app = Flask(__name__)\n\n@app.errorhandler(HTTPException)\ndef http_error(exc):\n"
            "    return jsonify(error=exc.name), exc.code\n",
            "from flask import jsonify\nimport starlette.exceptions\n"
            "from asyncify.compat import flask_app, flask_error_handler\n\n"
            "app = flask_app()\n\n@app.exception_handler(starlette.exceptions.HTTPException)\n"
            "@flask_error_handler\ndef http_error(exc):\n    return jsonify(error=exc.name), exc.code\n",
        ),
    )

    def visit_Module(self, node: cst.Module) -> None:
        scan(self.p, node)
        self._depth = 0

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._depth += 1

    def leave_FunctionDef(self, original: cst.FunctionDef,
                          updated: cst.FunctionDef) -> cst.FunctionDef:
        self._depth -= 1
        return updated

    def leave_Module(self, original: cst.Module, updated: cst.Module) -> cst.Module:
        return prune_imports(self.p, updated)

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        p, f = self.p, facts(self.p)
        if id(original) in f.wrapped:
            p.todo(self.id, original, f.wrapped[id(original)])
            return updated
        if f.whole:
            return updated  # the module's app stays Flask: so do its blueprints and factories
        if is_flask(p, original.func, "Blueprint"):
            args: list[cst.Arg] = []
            for arg in updated.args[2:]:
                name = arg.keyword.value if arg.keyword else ""
                if name == "url_prefix":
                    args.append(keyword("prefix", arg.value))
                else:
                    p.todo(self.id, original, f"Blueprint {name or 'positional'} argument has "
                           "no APIRouter equivalent (static/template folders: mount StaticFiles)")
            p.need_import("fastapi", "APIRouter")
            p.changed(self.id)
            return cst.Call(cst.Name("APIRouter"), args)
        if is_flask(p, original.func, "Flask") and self._depth:
            p.todo(self.id, original, "an app factory: build the FastAPI app with "
                   "asyncify.compat.flask_app(), include the converted routers and register "
                   "the legacy app with set_flask_app(); hooks and config need a person")
            return updated
        if is_flask(p, original.func, "Flask"):
            for arg in updated.args[1:]:
                name = arg.keyword.value if arg.keyword else ""
                if not (name == "static_folder" and isinstance(arg.value, cst.Name)
                        and arg.value.value == "None"):
                    p.todo(self.id, original, f"Flask({name or 'positional'}=…) not converted; "
                           "static files: mount StaticFiles, templates: Jinja2Templates")
            p.need_import("asyncify.compat", "flask_app")
            p.changed(self.id)
            return cst.Call(cst.Name("flask_app"), [])
        owner, method = owner_call(f, original)
        if owner is None or not isinstance(updated.func, cst.Attribute):
            return updated
        if method == "register_blueprint":
            args = [keyword("prefix", a.value) if a.keyword and a.keyword.value == "url_prefix"
                    else a for a in updated.args]
            p.changed(self.id)
            return updated.with_changes(
                func=updated.func.with_changes(attr=cst.Name("include_router")), args=args)
        return updated

    def leave_Expr(self, original: cst.Expr, updated: cst.Expr) -> cst.BaseSmallStatement:
        f = facts(self.p)
        owner, method = owner_call(f, original.value)
        if owner is None:
            return updated
        call = original.value
        assert isinstance(call, cst.Call)
        if method == "before_request" and owner in f.blueprints and len(call.args) == 1:
            self.p.need_import("fastapi", "Depends")
            self.p.need_import("asyncify.compat", "before_request")
            self.p.changed(self.id)
            return updated.with_changes(value=cst.parse_expression(
                f"{owner}.dependencies.append(Depends(before_request(__hook__)))"
            ).visit(_Swap(call.args[0].value)))
        if method == "before_request":
            self.p.todo(self.id, original, "app-wide before_request runs for every request, "
                        "404s included: make it an @app.middleware('http') that returns "
                        "the hook's response (a dependency skips unmatched routes)")
        elif method in _HOOK_TODO:
            self.p.todo(self.id, original, _HOOK_TODO[method])
        elif method == "run" and owner in f.apps:
            self.p.todo(self.id, original, "FastAPI has no app.run(): serve it with uvicorn "
                        "(uvicorn.run(app, host=..., port=...); Flask's debug reloader is "
                        "uvicorn's reload=True with the app's import string)")
        return updated

    def leave_Decorator(self, original: cst.Decorator, updated: cst.Decorator) -> object:
        f = facts(self.p)
        owner, method = owner_call(f, original.decorator)
        if owner is None:
            owner, method = owner_hook(f, original.decorator)
            if owner is not None:  # @app.before_request: FastAPI has no such registration
                self.p.todo(self.id, original, _HOOK_TODO.get(method, "app-wide before_request "
                            "runs for every request, 404s included: make it an "
                            "@app.middleware('http') that returns the hook's response") if
                            owner not in f.blueprints else "decorator-form before_request: "
                            "register it with before_request(hook) as a dependency")
            return updated
        call = original.decorator
        assert isinstance(call, cst.Call)
        if method in _HOOK_TODO or method == "before_request":
            self.p.todo(self.id, original, _HOOK_TODO.get(method, "decorator-form before_"
                        "request: register it with before_request(hook) as a dependency"))
            return updated
        if method != "errorhandler" or len(call.args) != 1:
            return updated
        if owner in f.blueprints:
            self.p.todo(self.id, original, "blueprint-scoped errorhandler: FastAPI exception "
                        "handlers are app-wide; move it to the app and check the scope")
            return updated
        key = call.args[0].value
        if self.p.qualified(key) & set(_HTTP_EXC) or _is_werkzeug_http(f.local, key):
            self.p.need_import("starlette.exceptions")
            key = cst.parse_expression("starlette.exceptions.HTTPException")
        self.p.need_import("asyncify.compat", "flask_error_handler")
        self.p.changed(self.id)
        converted = cst.Decorator(cst.Call(
            cst.Attribute(cst.Name(owner), cst.Name("exception_handler")), [cst.Arg(key)]))
        return cst.FlattenSentinel([
            converted.with_changes(leading_lines=updated.leading_lines),
            cst.Decorator(cst.Name("flask_error_handler"))])


def _is_werkzeug_http(local: dict[str, str], key: cst.BaseExpression) -> bool:
    return isinstance(key, cst.Name) and local.get(key.value) == _HTTP_EXC[0]


class _Swap(cst.CSTTransformer):
    def __init__(self, value: cst.BaseExpression) -> None:
        self.value = value

    def leave_Name(self, original: cst.Name, updated: cst.Name) -> cst.BaseExpression:
        return self.value if updated.value == "__hook__" else updated
