"""Functions a Flask app that stays Flask registers (ASY104, ASY103): error handlers
(``register_error_handler``, ``errorhandler(E)(fn)``, ``@app.errorhandler`` on an imported
app, ``bp.app_errorhandler``), before/after_request hooks, teardown functions and
``add_url_rule`` views are called by Flask, so their ``jsonify``/``make_response``/``request``
stay Flask's. They are found when the registration and the definition are in the same file;
a function registered from another file is not guessed at. Fixture cases: no-ops with their
reason, marked and transformed cases; every output parses and a second run changes
nothing."""

from __future__ import annotations

import ast
from types import ModuleType

import pytest

from asyncify.codemods import transform

RULES = ["ASY101", "ASY102", "ASY103", "ASY104"]  # the flask-to-fastapi recipe

# flask-restful-boilerplate's handler, registered by a factory in the same module.
EXCEPTION = ("class AppException(RuntimeError):\n    status = 500\n\n    @staticmethod\n"
             "    def handle(e):\n        if not isinstance(e, AppException):\n"
             "            return e\n"
             "        return make_response(jsonify({'error': e.__dict__}), e.status)\n\n\n")
HOOKS = ("def not_found(e):\n    return jsonify(error='not found', path=request.path), 404\n\n\n"
         "def add_headers(response):\n    response.headers['X-A'] = '1'\n    return response\n\n\n"
         "def close_db(exc):\n    g.pop('db', None)\n\n\n"
         "def legacy_view():\n    return make_response(redirect(url_for('index')), 302)\n\n\n")
FACTORY = ("def create_app():\n    app = Flask(__name__)\n"
           "    app.register_error_handler(AppException, AppException.handle)\n"
           "    app.errorhandler(404)(not_found)\n    app.after_request(add_headers)\n"
           "    app.teardown_appcontext(close_db)\n"
           "    app.add_url_rule('/old', 'old', view_func=legacy_view)\n\n"
           "    @app.errorhandler(405)\n    def not_allowed(e):\n"
           "        return jsonify(error='nope'), 405\n\n    return app\n")

NOOP = [
    pytest.param(
        "from flask import jsonify, make_response\nfrom .app import app\n\n\n"
        "@app.errorhandler(ValueError)\ndef bad_value(e):\n"
        "    return make_response(jsonify(error=str(e)), 400)\n",
        id="@app.errorhandler on an app imported from another module: Flask's (FastAPI has "
           "no errorhandler), so the handler keeps Flask's make_response and jsonify"),
    pytest.param(
        "from flask import jsonify\nfrom .views import errors\n\n\n"
        "@errors.app_errorhandler(KeyError)\ndef missing(e):\n"
        "    return jsonify(error='missing'), 404\n\n\n"
        "def shutdown(exc):\n    return jsonify(ok=True)\n\n\n"
        "errors.teardown_app_request(shutdown)\n",
        id="bp.app_errorhandler and teardown_app_request on an imported blueprint"),
    pytest.param(
        "from flask import jsonify, request\n\n\nclass Errors:\n"
        "    def init_app(self, app):\n"
        "        app.register_error_handler(ValueError, self.handle)\n"
        "        app.before_request(self.check)\n\n"
        "    def handle(self, e):\n        return jsonify(error=str(e)), 400\n\n"
        "    def check(self):\n        if not request.headers.get('X-Token'):\n"
        "            return jsonify(error='no token'), 401\n",
        id="an extension class registers its own methods in init_app(self, app)"),
]

MARKED = [
    pytest.param(
        "from flask import Flask, g, jsonify, make_response, redirect, request, url_for\n\n\n"
        + EXCEPTION + HOOKS + FACTORY,
        id="a factory registers a class's static method, handlers, hooks, a teardown "
           "function and an add_url_rule view of its module, and a handler of its own: "
           "all keep Flask's helpers; only the factory marker is added"),
]


def _run(source: str) -> tuple[str, list[str]]:
    outcome = transform("mod.py", source.encode(), RULES)
    new = outcome.new.decode() if outcome.new is not None else source
    ast.parse(new)
    again = transform("mod.py", new.encode(), RULES)
    assert again.new is None or again.new.decode() == new, "second run changed the output"
    return new, [t.message for t in outcome.todos]


@pytest.mark.parametrize("source", NOOP)
def test_noop(source: str) -> None:
    new, todos = _run(source)
    assert new == source
    assert todos == []


@pytest.mark.parametrize("source", MARKED)
def test_registered_functions_keep_flask_only_the_factory_is_marked(source: str) -> None:
    new, todos = _run(source)
    assert len(todos) == 1 and todos[0].startswith("an app factory"), todos
    added = [line for line in new.splitlines() if line not in source.splitlines()]
    assert len(added) == 1 and added[0].lstrip().startswith("# TODO[asyncify ASY101]: "), added
    assert new.replace(added[0] + "\n", "") == source


def test_a_converted_helper_beside_them_takes_the_twin_name() -> None:
    """The module's other code is converted as before; the handlers call Flask's ``jsonify``
    through ``flask.`` since the twin's import takes the name."""
    source = ("from flask import Flask, jsonify, make_response, request\n\n\n" + EXCEPTION
              + "def not_found(e):\n    return jsonify(error='not found', path=request.path), 404\n\n\n"
              "def ok():\n    return jsonify(ok=True)\n\n\n"
              "def create_app():\n    app = Flask(__name__)\n"
              "    app.register_error_handler(AppException, AppException.handle)\n"
              "    app.errorhandler(404)(not_found)\n    return app\n")
    new, _ = _run(source)
    assert new.startswith("from flask import Flask, make_response, request\nimport flask\n"
                          "from asyncify.compat import jsonify\n")
    assert "return make_response(flask.jsonify({'error': e.__dict__}), e.status)" in new
    assert "return flask.jsonify(error='not found', path=request.path), 404" in new
    assert "def ok():\n    return jsonify(ok=True)\n" in new


def test_a_handler_registered_from_another_file_is_not_guessed() -> None:
    """``handle`` is registered elsewhere (or only called by the tests): nothing here says
    Flask calls it, so ASY104 converts it as before."""
    source = ("from flask import jsonify, make_response\n\n\n" + EXCEPTION)
    new, todos = _run(source)
    assert "from asyncify.compat import flask_response, jsonify\n" in new
    assert "return flask_response(jsonify({'error': e.__dict__}), e.status)" in new
    assert todos == []


def test_an_error_handler_of_a_converted_app_is_converted() -> None:
    source = ("from flask import Flask, jsonify\n\napp = Flask(__name__)\n\n\n"
              "@app.errorhandler(404)\ndef not_found(e):\n    return jsonify(error='nf'), 404\n")
    new, todos = _run(source)
    assert "app = flask_app()\n" in new
    assert "@app.exception_handler(404)\n@flask_error_handler\ndef not_found(e):\n" in new
    assert "return flask_response(jsonify(error='nf'), 404)" in new
    assert todos == []


def _load(name: str, source: str) -> ModuleType:
    module = ModuleType(name)
    exec(compile(source, f"{name}.py", "exec"), module.__dict__)
    return module


def test_the_converted_module_answers_as_flask_did() -> None:
    """The legacy factory and the converted module's factory give the same answers: the
    registered handlers still return Flask responses (a compat ``jsonify`` would be a
    Starlette response Flask cannot send)."""
    source = ("from flask import Flask, jsonify, make_response, request\n\n\n" + EXCEPTION
              + "def not_found(e):\n    return jsonify(error='not found', path=request.path), 404\n\n\n"
              "def boom():\n    raise AppException()\n\n\n"
              "def ok():\n    return jsonify(ok=True)\n\n\n"
              "def create_app():\n    app = Flask(__name__)\n"
              "    app.register_error_handler(AppException, AppException.handle)\n"
              "    app.errorhandler(404)(not_found)\n"
              "    app.add_url_rule('/boom', 'boom', boom)\n    return app\n")
    new, _ = _run(source)
    assert new != source
    answers = []
    for name, code in (("legacy_factory", source), ("converted_factory", new)):
        client = _load(name, code).create_app().test_client()
        answers.append([(r.status_code, r.get_json()) for r in
                        (client.get("/boom"), client.get("/nowhere"))])
    assert answers[0] == answers[1] == [
        (500, {"error": {}}), (404, {"error": "not found", "path": "/nowhere"})]
