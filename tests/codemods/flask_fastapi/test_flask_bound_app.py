"""Apps and blueprints the program uses as Flask objects (ASY101): an app handed to a Flask
extension (``SQLAlchemy(app)``, ``Migrate(app, db)``, ``ext.init_app(app)``…) or whose
Flask-only attributes are used (``app.config``, ``app.secret_key``…) fails at import as
``flask_app()``, so it stays Flask with one marker, and the rest of its module (routes,
hooks, helpers, blueprints) is left as it is; a blueprint used that way stays Flask on its
own. Fixture cases: no-ops with their reason, marked cases (only the marker line added),
transformed cases; every output parses and a second run changes nothing."""

from __future__ import annotations

import ast

import pytest

from asyncify.codemods import transform

RULES = ["ASY101", "ASY102", "ASY103", "ASY104"]  # the flask-to-fastapi recipe

ROUTES = ("@app.route('/items', methods=['GET', 'POST'])\ndef items():\n"
          "    page = request.args.get('page', 1, type=int)\n"
          "    if request.method == 'POST':\n        abort(400)\n"
          "    return make_response(jsonify(page=page), 201)\n\n\n"
          "@app.errorhandler(404)\ndef not_found(e):\n    return jsonify(error='not found'), 404\n\n\n"
          "def helper():\n    return redirect(url_for('items'))\n")
HEAD = "from flask import Flask, abort, jsonify, make_response, redirect, request, url_for\n"

NOOP = [
    pytest.param(
        "from flask import render_template, request, jsonify\n"
        "from application import app, db\n\n\n"
        "@app.route('/')\n@app.route('/home', methods=['GET', 'POST'])\ndef home():\n"
        "    return render_template('home.html', q=request.args.get('q'))\n\n\n"
        "@app.route('/api')\ndef api():\n    return jsonify(n=db.session.query(1).scalar())\n",
        id="routes on an app imported from the module that makes it (project_two): "
           "@app.route is Flask's, the rules do not convert it, so the views keep Flask's "
           "request, render_template and jsonify, without markers"),
    pytest.param(
        "from flask import jsonify\nfrom myapp import app\n\n\n"
        "@app.before_request\ndef check():\n    return None\n\n\n"
        "def teardown(exc):\n    return jsonify(ok=True)\n\n\n"
        "app.teardown_appcontext(teardown)\n",
        id="hooks an imported app registers keep Flask's helpers"),
]

MARKED = [
    pytest.param(
        "from flask import Flask\nfrom flask_sqlalchemy import SQLAlchemy\nfrom os import getenv\n\n"
        "app = Flask(__name__)\n\n"
        "app.config['SQLALCHEMY_DATABASE_URI'] = getenv('DATABASE_URI')\n"
        "app.config['SQLALCHEMY_TRACK_MODIFICATIONS'] = False\ndb = SQLAlchemy(app)\n\n"
        "from application import routes\n",
        "app 'app' stays Flask, and so does this module: app.config, SQLAlchemy(app) need",
        id="project_two service1: app.config and SQLAlchemy(app), late routes import"),
    pytest.param(
        HEAD + "from flask_migrate import Migrate\nfrom flask_sqlalchemy import SQLAlchemy\n\n"
        "app = Flask(__name__)\ndb = SQLAlchemy()\ndb.init_app(app)\nmigrate = Migrate(app, db)\n\n\n"
        + ROUTES,
        "db.init_app(app), Migrate(app, …) need", id="init_app and Migrate; the app's routes, "
        "error handler and helpers keep Flask's request, abort, jsonify, redirect, url_for"),
    pytest.param(
        HEAD + "from flask_login import LoginManager\nfrom flask_bcrypt import Bcrypt\n"
        "from flask_cors import CORS\n\napp = Flask(__name__)\napp.secret_key = 'dev'\n"
        "login = LoginManager(app)\nbcrypt = Bcrypt(app)\nCORS(app)\n\n\n" + ROUTES,
        "app.secret_key, LoginManager(app), Bcrypt(app), … need", id="secret_key, "
        "LoginManager, Bcrypt, CORS"),
    pytest.param(
        HEAD + "from flask import Blueprint\n\napp = Flask(__name__)\n"
        "app.config.from_object('config.Production')\n"
        "bp = Blueprint('b', __name__)\n\n\n" + ROUTES + "\n\n"
        "@bp.get('/b')\ndef b():\n    return jsonify(b=1)\n\n\napp.register_blueprint(bp)\n",
        "app.config need", id="config.from_object; a blueprint the module's app registers "
        "stays Flask too"),
    pytest.param(
        HEAD + "\napp = Flask(__name__)\n\n\n" + ROUTES + "\n\n"
        "@app.cli.command('init-db')\ndef init_db():\n    pass\n\n\n"
        "with app.app_context():\n    pass\n",
        "app.cli, app.app_context(…) need", id="app.cli and app.app_context()"),
    pytest.param(
        "from flask import Flask\n\napp = Flask(__name__)\n"
        "app.jinja_env.globals['x'] = 1\napplication = app\n",
        "app.jinja_env, application = app need", id="jinja_env, and the app handed to a WSGI "
        "server under another name"),
    pytest.param(
        "from flask import Blueprint, jsonify\n\nerrors = Blueprint('errors', __name__)\n\n\n"
        "@errors.app_errorhandler(404)\ndef not_found(e):\n"
        "    return jsonify(error='not found'), 404\n",
        "blueprint 'errors' stays Flask: errors.app_errorhandler(…) needs Flask's blueprint",
        id="a blueprint's app-wide error handler keeps Flask's jsonify"),
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


@pytest.mark.parametrize(("source", "why"), MARKED)
def test_flask_bound_owner_stays_flask_with_one_marker(source: str, why: str) -> None:
    new, todos = _run(source)
    assert len(todos) == 1 and why in todos[0], todos
    assert "stay served by the legacy app; migrate them with `asyncify apply ENDPOINT`" in (
        todos[0])
    # Only the marker line is added: the app, its routes, request, helpers, imports stay.
    added = [line for line in new.splitlines() if line not in source.splitlines()]
    assert len(added) == 1 and added[0].startswith("# TODO[asyncify ASY101]: "), added
    assert new.replace(added[0] + "\n", "") == source


def test_an_app_the_rules_understand_is_still_converted() -> None:
    source = ("from flask import Flask, jsonify\nfrom .views import bp\n\n"
              "app = Flask(__name__)\napp.register_blueprint(bp, url_prefix='/v1')\n\n\n"
              "def configure(app):\n    app.config['X'] = 1\n\n\n"
              "@app.route('/ping')\ndef ping():\n    return jsonify(pong=True)\n\n\n"
              "if __name__ == '__main__':\n    app.run(debug=True)\n")
    new, todos = _run(source)
    assert "app = flask_app()\n" in new
    assert "app.include_router(bp, prefix='/v1')" in new
    assert "@app.api_route('/ping', methods=['GET', 'HEAD'], name='ping')" in new
    # ``configure``'s own parameter is not the module's app.
    assert "def configure(app):\n    app.config['X'] = 1\n" in new
    # The dev server entry point is kept, with a marker (FastAPI has no run()).
    assert "    app.run(debug=True)\n" in new
    assert len(todos) == 1 and todos[0].startswith("FastAPI has no app.run()"), todos


def test_a_flask_bound_blueprint_stays_and_the_others_convert() -> None:
    source = ("from flask import Blueprint, jsonify, request\n\n"
              "errors = Blueprint('errors', __name__)\n"
              "api = Blueprint('api', __name__, url_prefix='/api')\n\n\n"
              "@errors.app_errorhandler(404)\ndef not_found(e):\n"
              "    return jsonify(error='not found', path=request.path), 404\n\n\n"
              "@api.get('/ping')\ndef ping():\n    return jsonify(pong=True)\n")
    new, todos = _run(source)
    assert "errors = Blueprint('errors', __name__)\n" in new
    assert "api = APIRouter(prefix='/api')\n" in new
    # The converted view takes the compat twin's name; the handler Flask calls keeps
    # Flask's own jsonify, through ``flask.``, and Flask's request.
    assert "from asyncify.compat import jsonify\n" in new and "import flask\n" in new
    assert ("def not_found(e):\n"
            "    return flask.jsonify(error='not found', path=request.path), 404\n") in new
    assert "def ping():\n    return jsonify(pong=True)\n" in new
    assert len(todos) == 1 and "blueprint 'errors' stays Flask" in todos[0]
