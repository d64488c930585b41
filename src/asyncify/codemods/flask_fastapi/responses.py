"""ASY104: what views and error handlers return, and Flask's response helpers.

A returned dict/list → ``FlaskJSONResponse`` (Flask's exact JSON bytes), a string literal →
``HTMLResponse`` (Flask's ``text/html``), a ``(body, status[, headers])`` tuple or any other
value → ``flask_response(...)`` (Flask's ``make_response`` rules at run time, so a tuple from a
helper works too); ``jsonify``/``abort``/``redirect``/``make_response`` → their
``asyncify.compat`` twins (Flask's bytes, Flask's HTML error pages, 302); ``url_for`` →
``url_for(request, ...)``; ``Response(x, mimetype=)`` → Starlette's ``Response``. Sessions,
templates, streaming, flashes, files and signals become TODOs.

Code the legacy Flask app serves keeps Flask's helpers (``_legacy``), and so does a function
of a module without views that no module serving requests names, or one only the views of
an app or blueprint staying Flask name (a recipe run over the project finds those,
``_callers``): only legacy code calls it, and a marker says so.
"""

from __future__ import annotations

import libcst as cst

from .._rule import Example, Rule, register
from ._common import (
    GATE,
    add_params,
    facts,
    import_flask_request_alias,
    is_flask,
    keyword,
    legacy,
    param,
    prune_imports,
    scan,
    unshadow_flask_request,
    view_key,
)

_TWINS = {"jsonify": "jsonify", "abort": "abort", "redirect": "redirect",
          "make_response": "flask_response"}
_KEEP = frozenset({"jsonify", "flask_response", "redirect", "FlaskJSONResponse", "HTMLResponse",
                   "Response", "RedirectResponse", "abort"})
_TODO = {
    "session": "Flask's signed session cookie: SessionMiddleware uses another cookie format "
               "(users are logged out) and plain JSON",
    "render_template": "templates: Jinja2Templates.TemplateResponse(request, ...); Flask's "
                       "session/g/config/url_for globals are missing there",
    "stream_with_context": "streaming: StreamingResponse(gen, media_type=...) and capture the "
                           "request data before the generator runs",
    "send_file": "send_file → FileResponse (attachment/inline defaults differ)",
    "send_from_directory": "send_from_directory → FileResponse after a path-containment check",
    "flash": "flash() has no FastAPI equivalent",
    "get_flashed_messages": "flashes have no FastAPI equivalent",
    "current_app": "current_app: use asyncify.compat.current_config() or request.app.state",
}


@register
class Responses(Rule):
    id = "ASY104"
    title = ("view returns, jsonify, tuples, abort, redirect, url_for, Response → responses "
             "byte-identical to Flask's; TODOs for sessions, templates, streaming, files")
    gate = GATE
    triggers = frozenset({"return", "jsonify", "abort", "redirect", "url_for"})
    async_only = False
    examples = (
        Example("from flask import jsonify\n\ndef helper(x):\n    return x, 201\n",
                "from flask import jsonify\n\ndef helper(x):\n    return x, 201\n",
                why="not a view: a helper's tuple is converted where a view returns it"),
        Example("from flask import Flask, jsonify\n\ndef not_found(e):\n"
                "    return jsonify(error='not found'), 404\n\ndef create_app():\n"
                "    app = Flask(__name__)\n    app.errorhandler(404)(not_found)\n"
                "    return app\n",
                "from flask import Flask, jsonify\n\ndef not_found(e):\n"
                "    return jsonify(error='not found'), 404\n\ndef create_app():\n"
                "    app = Flask(__name__)\n    app.errorhandler(404)(not_found)\n"
                "    return app\n",
                why="the factory's Flask app registers it as an error handler: Flask calls "
                    "it, so Flask's jsonify stays"),
        Example(
            "from flask import Blueprint, abort, jsonify, redirect\n\n"
            "bp = Blueprint('b', __name__)\n\n@bp.post('/')\ndef create():\n"
            "    abort(400, description='no')\n    return jsonify(id=1), 201, {'X-A': '1'}\n\n"
            "@bp.get('/old')\ndef old():\n    return redirect('/new')\n\n"
            "@bp.get('/hi')\ndef hi():\n    return 'hello'\n",
            "from flask import Blueprint\nfrom asyncify.compat import abort, flask_response, "
            "jsonify, redirect\nfrom starlette.responses import HTMLResponse\n\n"
            "bp = Blueprint('b', __name__)\n\n@bp.post('/')\ndef create():\n"
            "    abort(400, description='no')\n"
            "    return flask_response(jsonify(id=1), 201, {'X-A': '1'})\n\n"
            "@bp.get('/old')\ndef old():\n    return redirect('/new')\n\n"
            "@bp.get('/hi')\ndef hi():\n    return HTMLResponse('hello')\n",
        ),
    )

    def visit_Module(self, node: cst.Module) -> None:
        scan(self.p, node)
        self._stack: list[tuple[bool, bool]] = []  # (is a view/handler, needs request)
        self._generators: list[bool] = []  # whether each enclosing function yields
        # Flask helpers kept in functions only legacy code calls: qualname → helper names.
        self._kept: dict[str, list[str]] = {}
        self._classes: list[str] = []  # enclosing classes (a class view's methods)

    def leave_Module(self, original: cst.Module, updated: cst.Module) -> cst.Module:
        return prune_imports(self.p, import_flask_request_alias(self.p, updated))

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._classes.append(node.name.value)

    def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef) -> cst.ClassDef:
        self._classes.pop()
        return updated

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        f = facts(self.p)
        name = view_key(self._classes, node.name.value)
        view = name in f.views or name in f.handlers
        self._stack.append((view, False))
        # A streamed body (only a view's matters: not every function is walked twice).
        self._generators.append(view and _yields(node))

    def _in_view(self) -> bool:
        return bool(self._stack) and self._stack[-1][0]

    def leave_FunctionDef(self, original: cst.FunctionDef,
                          updated: cst.FunctionDef) -> cst.FunctionDef:
        in_view, needs = self._stack.pop()
        generator = self._generators.pop()
        if (in_view and not legacy(self.p) and isinstance(updated.body, cst.IndentedBlock)
                and _falls_through(updated.body) and not generator):
            # Flask answers a view that ends without returning with a 500 (TypeError: "did
            # not return a valid response"); FastAPI would send 200 and "null".
            self.p.need_import("asyncify.compat", "flask_response")
            self.p.changed(self.id)
            end = cst.parse_statement("return flask_response(None)\n")
            updated = updated.with_changes(body=updated.body.with_changes(
                body=[*updated.body.body, end]))
        kept = self._kept.pop(self.p.qualname(), None)
        if kept:
            name = self.p.qualname().replace(".<locals>", "")
            f = facts(self.p)
            why = ("only views of an app or blueprint that stays Flask name it" if f.served
                   - f.unreached else "its module defines no view and no module serving "
                   "requests names it")
            self.p.todo(self.id, original, (
                f"{name}() keeps Flask's {', '.join(dict.fromkeys(kept))}: {why}, so only "
                "legacy code (the Flask app, tests) calls it and gets Flask's response; if "
                "FastAPI code comes to call it, use asyncify.compat's twins (jsonify, "
                "flask_response…)"))
        if needs:
            self.p.need_import("fastapi", "Request")
            updated = add_params(updated, [param("request", "Request")])
        return unshadow_flask_request(self.p, updated)

    def leave_Return(self, original: cst.Return, updated: cst.Return) -> cst.Return:
        if not self._in_view():
            return updated
        if updated.value is None:  # a bare return: Flask's 500, as above
            if legacy(self.p) or self._generators[-1]:
                return updated  # Flask serves it / it ends a streamed body
            self.p.need_import("asyncify.compat", "flask_response")
            self.p.changed(self.id)
            return updated.with_changes(value=cst.parse_expression("flask_response(None)"),
                                        whitespace_after_return=cst.SimpleWhitespace(" "))
        value = updated.value
        wrapped: cst.BaseExpression
        if isinstance(value, cst.Dict | cst.List | cst.DictComp | cst.ListComp):
            self.p.need_import("asyncify.compat", "FlaskJSONResponse")
            wrapped = cst.Call(cst.Name("FlaskJSONResponse"), [cst.Arg(value)])
        elif isinstance(value, cst.SimpleString | cst.FormattedString | cst.ConcatenatedString):
            self.p.need_import("starlette.responses", "HTMLResponse")
            wrapped = cst.Call(cst.Name("HTMLResponse"), [cst.Arg(value)])
        elif isinstance(value, cst.Tuple) and len(value.elements) in (2, 3):
            self.p.need_import("asyncify.compat", "flask_response")
            wrapped = cst.Call(cst.Name("flask_response"), [
                cst.Arg(e.value) for e in value.elements])
        elif (isinstance(value, cst.Call) and isinstance(value.func, cst.Name)
              and value.func.value in _KEEP):
            return updated
        else:
            self.p.need_import("asyncify.compat", "flask_response")
            wrapped = cst.Call(cst.Name("flask_response"), [cst.Arg(value)])
        self.p.changed(self.id)
        return updated.with_changes(value=wrapped)

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        p = self.p
        if legacy(p):  # served by the legacy Flask app: Flask's helpers stay
            self._note_kept(original)
            return self._flask_helper(updated)
        for flask_name, twin in _TWINS.items():
            if is_flask(p, original.func, flask_name):
                p.need_import("asyncify.compat", twin)
                p.changed(self.id)
                return updated.with_changes(func=cst.Name(twin))
        if is_flask(p, original.func, "url_for"):
            return self._url_for(original, updated)
        if is_flask(p, original.func, "Response"):
            return self._response(original, updated)
        for name, why in _TODO.items():
            if is_flask(p, original.func, name):
                p.todo(self.id, original, why)
        return updated

    def _note_kept(self, call: cst.Call) -> None:
        """Remember a Flask helper kept in a function no converted code calls: the function
        gets a marker saying why (one registered by a Flask object needs none)."""
        unreached = facts(self.p).unreached
        if not unreached:
            return
        parts = self.p.qualname().split(".")
        owner = next((q for end in range(1, len(parts) + 1)
                      if (q := ".".join(parts[:end])) in unreached), None)
        if owner is None:
            return
        for name in (*_TWINS, "url_for", "Response", *_TODO):
            if is_flask(self.p, call.func, name):
                self._kept.setdefault(owner, []).append(name)

    def _flask_helper(self, call: cst.Call) -> cst.Call:
        """``jsonify(...)`` → ``flask.jsonify(...)`` where converted code of the module
        imports a twin under the same name."""
        f = facts(self.p)
        if not (isinstance(call.func, cst.Name) and call.func.value in f.shared):
            return call
        self.p.need_import("flask")
        self.p.changed(self.id)
        return call.with_changes(func=cst.parse_expression(f.local[call.func.value]))

    def leave_Attribute(self, original: cst.Attribute,
                        updated: cst.Attribute) -> cst.BaseExpression:
        if legacy(self.p):
            return updated  # served by the legacy Flask app: Flask's helpers stay
        for name in ("session", "current_app"):
            if is_flask(self.p, original.value, name):
                self.p.todo(self.id, original, _TODO[name])
        return updated

    def _url_for(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        if legacy(self.p):
            return updated  # served by the legacy Flask app: Flask's helpers stay
        if not self._stack or not self._stack[-1][0]:
            self.p.todo(self.id, original, "url_for outside a view: pass request and call "
                        "asyncify.compat.url_for(request, ...)")
            return updated
        args = list(updated.args)
        first = args[0].value if args else None
        if isinstance(first, cst.SimpleString) and first.raw_value.startswith("."):
            # A relative endpoint names a view of this module's blueprint.
            owner = next(iter(facts(self.p).blueprints.values()), "")
            args[0] = args[0].with_changes(value=cst.SimpleString(
                f"{first.quote}{owner}{first.raw_value}{first.quote}"))
        self._stack[-1] = (True, True)
        self.p.need_import("asyncify.compat", "url_for")
        self.p.changed(self.id)
        return cst.Call(cst.Name("url_for"), [cst.Arg(cst.Name("request")), *args])

    def _response(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        renames = {"status": "status_code", "mimetype": "media_type",
                   "content_type": "media_type", "headers": "headers",
                   "response": "content"}
        args: list[cst.Arg] = []
        for position, arg in enumerate(updated.args):
            name = arg.keyword.value if arg.keyword else ["content", "status_code",
                                                          "headers", "media_type"][min(position, 3)]
            if name not in renames.values() and name not in renames:
                self.p.todo(self.id, original, f"Response({name}=) not converted")
                return updated
            args.append(keyword(renames.get(name, name), arg.value))
        content = args[0].value if args else None
        if isinstance(content, cst.GeneratorExp) or (
                isinstance(content, cst.Call) and isinstance(content.func, cst.Name)
                and content.func.value in ("stream_with_context", "generate")):
            self.p.todo(self.id, original, _TODO["stream_with_context"])
            return updated
        if not any(a.keyword and a.keyword.value == "media_type" for a in args):
            args.append(keyword("media_type", cst.SimpleString('"text/html"')))
        self.p.need_import("starlette.responses", "Response")
        self.p.changed(self.id)
        return cst.Call(cst.Name("Response"), args)


def _falls_through(suite: cst.BaseSuite) -> bool:
    """Whether running ``suite`` can reach its end (conservatively: yes unless every path
    visibly returns or raises; a one-line suite counts as reaching it)."""
    if not isinstance(suite, cst.IndentedBlock) or not suite.body:
        return True
    last = suite.body[-1]
    if isinstance(last, cst.SimpleStatementLine):
        return not any(isinstance(s, cst.Return | cst.Raise) for s in last.body)
    if isinstance(last, cst.If):
        return _if_falls_through(last)
    if isinstance(last, cst.With):
        return _falls_through(last.body)
    if isinstance(last, cst.Try):
        return _falls_through(last.body) or any(_falls_through(h.body) for h in last.handlers)
    return True


def _if_falls_through(node: cst.If) -> bool:
    if _falls_through(node.body) or node.orelse is None:
        return True
    if isinstance(node.orelse, cst.If):
        return _if_falls_through(node.orelse)
    return _falls_through(node.orelse.body)


def _yields(function: cst.FunctionDef) -> bool:
    """Whether the function is a generator (a streamed body: not this rule's)."""
    found = False

    class _Find(cst.CSTVisitor):
        def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
            return node is function

        def visit_Lambda(self, node: cst.Lambda) -> bool:
            return False

        def visit_Yield(self, node: cst.Yield) -> None:
            nonlocal found
            found = True

    function.visit(_Find())
    return found
