"""Apps and blueprints wrapped by a Flask-RESTful / flask-restx / flask-restplus ``Api``
(ASY101): the ``Api`` registers its resources on the Flask object itself, so such an app or
blueprint must stay Flask (served by the legacy app) with a marker, and the module's
``Resource`` classes stay as they are. Fixture cases: no-ops with their reason, marked cases
(only a marker added), a mixed module (the unwrapped blueprint is still converted); every
output parses and a second run changes nothing."""

from __future__ import annotations

import ast

import pytest

from asyncify.codemods import transform

RULES = ["ASY101", "ASY102", "ASY103", "ASY104"]  # the flask-to-fastapi recipe

RESOURCE = ("class Hello(Resource):\n    def get(self):\n"
            "        return {'x': request.args.get('x'), 'cfg': current_app.name}\n\n"
            "    def delete(self):\n        abort(404)\n"
            "        return make_response(jsonify(url=url_for('hello')), 204)\n\n")

NOOP = [
    pytest.param("from flask_restx import Namespace, Resource\n"
                 "from flask import abort, current_app, jsonify, make_response, request, "
                 "url_for\n\n"
                 "api = Namespace('user')\n\n@api.route('/')\n" + RESOURCE,
                 id="a namespace of Resources and no Flask app: nothing to convert, and the "
                    "Resources' request stays (served by the legacy app)"),
]

MARKED = [
    pytest.param(
        "from flask import Flask, abort, current_app, jsonify, make_response, request, url_for\n"
        "from flask_restful import Resource, Api\n"
        "\napp = Flask(__name__)\napi = Api(app)\n\n" + RESOURCE +
        "api.add_resource(Hello, '/')\n",
        "app 'app' is wrapped by a flask_restful Api", id="Api(app), Flask-RESTful"),
    pytest.param(
        "from flask import Blueprint\nfrom flask_restx import Api\n\n"
        "blueprint = Blueprint('api', __name__)\n\n"
        "api = Api(\n    blueprint,\n    title='T',\n    version='1.0',\n)\n",
        "blueprint 'blueprint' is wrapped by a flask_restx Api", id="Api(bp, title=…), restx"),
    pytest.param(
        "from flask import Blueprint, abort, request\nfrom flask_restx import Api\n\n"
        "v1 = Blueprint('v1', __name__, url_prefix='/v1')\nRouter().draw(Api(v1))\n\n\n"
        "@v1.before_request\ndef authenticate():\n    if not request.headers.get('X'):\n"
        "        abort(401)\n\n\ndef audit():\n    return request.path\n\n\n"
        "v1.after_request(audit)\n",
        "blueprint 'v1' is wrapped", id="Api(bp) handed to a helper; the blueprint's hooks "
        "keep Flask's request and abort (Flask calls them)"),
    pytest.param(
        "import flask\nimport flask_restplus as rp\n\n"
        "app = flask.Flask(__name__)\napi = rp.Api()\napi.init_app(app)\n\n"
        "@app.route('/ping')\ndef ping():\n    return 'pong'\n",
        "app 'app' is wrapped by a flask_restplus Api", id="api.init_app(app), restplus, "
        "and the wrapped app's own routes stay Flask too"),
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


@pytest.mark.parametrize(("source", "marker"), MARKED)
def test_wrapped_owner_stays_flask_with_one_marker(source: str, marker: str) -> None:
    new, todos = _run(source)
    assert len(todos) == 1 and marker in todos[0], todos
    assert todos[0].endswith("port each Resource method to an APIRouter route by hand to move it")
    # Only the marker line is added: the app/blueprint, routes, request, imports are unchanged.
    added = [line for line in new.splitlines() if line not in source.splitlines()]
    assert len(added) == 1 and added[0].startswith("# TODO[asyncify ASY101]: "), added
    assert new.replace(added[0] + "\n", "") == source


def test_unwrapped_blueprint_in_the_same_module_is_still_converted() -> None:
    source = ("from flask import Blueprint, abort, current_app, jsonify, make_response, request, "
              "url_for\nfrom flask_restx import Api, Resource\n\n"
              "rest = Blueprint('rest', __name__)\napi = Api(rest)\n"
              "plain = Blueprint('plain', __name__, url_prefix='/p')\n\n"
              "@plain.get('/hi')\ndef hi():\n    return {'q': request.args.get('q', '')}\n\n"
              "@api.route('/r')\n" + RESOURCE)
    new, todos = _run(source)
    assert "rest = Blueprint('rest', __name__)" in new
    assert "plain = APIRouter(prefix='/p')" in new
    assert "@plain.api_route('/hi', methods=['GET', 'HEAD'], name='plain.hi')" in new
    assert "def hi(q: Annotated[str, Query()] = '')" in new
    # The Resource keeps Flask's request and helpers (so their import stays), no markers.
    assert RESOURCE in new
    assert ("from flask import Blueprint, abort, current_app, jsonify, make_response, request, "
            "url_for\n") in new
    assert len(todos) == 1 and "'rest' is wrapped by a flask_restx Api" in todos[0]
