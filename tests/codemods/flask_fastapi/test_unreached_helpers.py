"""Functions of a module without views that nothing serving requests names (ASY104, issue
#10): only legacy code calls them (flask-restful-boilerplate's ``AppException.handle``, called
by its tests inside the legacy app's context, which read Werkzeug's ``response.data``), so
they keep Flask's helpers and get a marker saying why. A helper a view calls, directly or
through another helper, is converted as before.

Fixture cases run the rules with the project's answer (``FileContext.flask_side``); the
project cases run the recipe over small purpose-written projects (``_callers`` decides)."""

from __future__ import annotations

import ast
from pathlib import Path
from types import ModuleType

import pytest
from flask import Flask

from asyncify import api
from asyncify.codemods import FileContext, transform
from asyncify.codemods.flask_fastapi._callers import project_side

RULES = ["ASY101", "ASY102", "ASY103", "ASY104"]  # the flask-to-fastapi recipe

EXCEPTION = (
    "class AppException(Exception):\n"
    "    def __init__(self, message, status_code=500, payload=None):\n"
    "        super().__init__(message)\n        self.message = message\n"
    "        self.status_code = status_code\n        self.payload = payload\n\n"
    "    def to_dict(self):\n        return dict(self.payload or (), message=self.message)\n\n"
    "    @classmethod\n    def handle(cls, e):\n"
    "        response = make_response(jsonify(e.to_dict()))\n"
    "        response.status_code = e.status_code\n        return response\n"
)
FUNCTION = (
    "def handle_error(e):\n"
    "    return make_response(jsonify(error=str(e), path=request.path), 500)\n"
)
ERROR = "def error(message, code):\n    return jsonify(error=message), code\n"
IMPORTS = "from flask import jsonify, make_response, request\n\n\n"


def flask_side(root: Path, sources: dict[str, bytes]) -> dict[str, frozenset[str]]:
    """The functions (qualnames) of each file that stay with the legacy app."""
    return {k: side.functions for k, side in project_side(root, sources).items()
            if side.functions}


def _run(source: str, side: set[str]) -> tuple[str, list[str]]:
    context = FileContext(flask_side=frozenset(side))
    outcome = transform("mod.py", source.encode(), RULES, context)
    new = outcome.new.decode() if outcome.new is not None else source
    ast.parse(new)
    again = transform("mod.py", new.encode(), RULES, context)
    assert again.new is None or again.new.decode() == new, "second run changed the output"
    return new, [t.message for t in outcome.todos]


def _marker_lines(source: str, new: str) -> list[str]:
    return [line for line in new.splitlines() if line not in source.splitlines()]


NOOP = [
    pytest.param(
        "from flask import jsonify\n\n\ndef payload(x):\n    return {'x': x}\n",
        {"payload"},
        id="an unreached function without Flask helpers: nothing to say",
    ),
    pytest.param(
        "from flask import jsonify\n\n\nclass AppException(Exception):\n"
        "    def to_dict(self):\n        return jsonify\n",
        {"AppException.to_dict"},
        id="an unreached method without Flask helpers",
    ),
]


@pytest.mark.parametrize(("source", "side"), NOOP)
def test_noop(source: str, side: set[str]) -> None:
    new, todos = _run(source, side)
    assert new == source
    assert todos == []


@pytest.mark.parametrize(
    ("source", "side", "name"),
    [
        pytest.param(
            "from flask import jsonify, make_response\n\n\n" + EXCEPTION,
            {"AppException.__init__", "AppException.to_dict", "AppException.handle"},
            "AppException.handle",
            id="a classmethod only legacy code calls",
        ),
        pytest.param(
            IMPORTS + FUNCTION,
            {"handle_error"},
            "handle_error",
            id="a plain function only legacy code calls, reading request",
        ),
    ],
)
def test_an_unreached_function_keeps_flask_and_is_marked(
    source: str, side: set[str], name: str
) -> None:
    new, todos = _run(source, side)
    assert len(todos) == 1 and todos[0].startswith(
        f"{name}() keeps Flask's jsonify, make_response: its module defines no view"
    ), todos
    added = _marker_lines(source, new)
    assert len(added) == 1 and added[0].lstrip().startswith("# TODO[asyncify ASY104]: "), added
    assert new.replace(added[0] + "\n", "") == source  # the code itself is unchanged


def test_a_reached_helper_beside_it_is_converted() -> None:
    """``error`` (a view calls it) takes the twins; ``handle`` keeps Flask's ``jsonify``
    through ``flask.`` since the twin's import takes the name."""
    source = "from flask import jsonify, make_response\n\n\n" + ERROR + "\n\n" + EXCEPTION
    new, todos = _run(
        source, {"AppException.__init__", "AppException.to_dict", "AppException.handle"}
    )
    assert new.startswith(
        "from flask import make_response\nimport flask\nfrom asyncify.compat import jsonify\n"
    )
    assert "def error(message, code):\n    return jsonify(error=message), code\n" in new
    assert "response = make_response(flask.jsonify(e.to_dict()))\n" in new
    assert len(todos) == 1 and todos[0].startswith("AppException.handle() keeps Flask's")


def test_without_the_project_answer_it_is_converted_as_before() -> None:
    new, todos = _run(IMPORTS + EXCEPTION, set())
    assert "response = flask_response(jsonify(e.to_dict()))\n" in new
    assert todos == []


# --- a recipe run over a project -------------------------------------------------------

VIEWS = (
    "from flask import Blueprint\n\nfrom .helpers import error, fail\n\n"
    "bp = Blueprint('items', __name__)\n\n\n"
    "@bp.get('/items/<int:item_id>')\ndef get_item(item_id):\n"
    "    if item_id > 10:\n        return error('no such item', 404)\n"
    "    if item_id < 0:\n        return fail()\n"
    "    return {'id': item_id}\n"
)
HELPERS = (
    "from flask import jsonify, make_response, request\n\n\n" + ERROR + "\n\n"
    "def fail():\n    return bad_request('negative id')\n\n\n"
    "def bad_request(message):\n    return error(message, 400)\n\n\n"
    + EXCEPTION
    + "\n\n"
    + FUNCTION
)
TESTS = (
    "from app.helpers import AppException, handle_error\n\n\n"
    "def test_handle(cls):\n    response = cls.handle(AppException('x', 418))\n"
    "    assert response.status_code == 418\n"
)


def _project(tmp_path: Path, files: dict[str, str]) -> Path:
    for relpath, text in files.items():
        (tmp_path / relpath).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relpath).write_text(text)
    return tmp_path


def _recipe(root: Path) -> dict[str, tuple[str, list[str]]]:
    run = api.apply_recipe([root], "flask-to-fastapi", root=root)
    return {
        o.path: ((o.new or b"").decode(), [f"{t.rule}: {t.message}" for t in o.todos])
        for o in run.outcomes
        if o.status == "changed"
    }


def test_the_project_answer(tmp_path: Path) -> None:
    root = _project(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/views.py": VIEWS,
            "app/helpers.py": HELPERS,
            "tests/test_helpers.py": TESTS,
        },
    )
    sources = {p: (root / p).read_bytes() for p in ("app/views.py", "app/helpers.py")}
    assert flask_side(root, sources) == {
        "app/helpers.py": frozenset(
            {"AppException.__init__", "AppException.to_dict", "AppException.handle", "handle_error"}
        )
    }


def test_an_unreached_helper_keeps_flask_a_reached_one_converts(tmp_path: Path) -> None:
    """Two files: the view's helpers (``error``, and ``fail`` → ``bad_request`` → ``error``)
    are converted; ``AppException.handle`` and ``handle_error``, which only the tests call,
    keep Flask's helpers with a marker each, and still answer as Werkzeug responses inside
    the legacy app's context."""
    root = _project(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/views.py": VIEWS,
            "app/helpers.py": HELPERS,
            "tests/test_helpers.py": TESTS,
        },
    )
    changed = _recipe(root)
    assert sorted(changed) == [str(Path("app/helpers.py")), str(Path("app/views.py"))]
    helpers, todos = changed[str(Path("app/helpers.py"))]
    assert helpers.startswith(
        "from flask import make_response, request\nimport flask\n"
        "from asyncify.compat import jsonify\n"
    )
    assert "def error(message, code):\n    return jsonify(error=message), code\n" in helpers
    assert "response = make_response(flask.jsonify(e.to_dict()))\n" in helpers
    assert "return make_response(flask.jsonify(error=str(e), path=request.path), 500)\n" in helpers
    assert [t.split("()")[0] for t in todos] == [
        "ASY104: AppException.handle",
        "ASY104: handle_error",
    ]
    views, _ = changed[str(Path("app/views.py"))]
    assert "return flask_response(error('no such item', 404))" in views

    module = ModuleType("converted_helpers")
    exec(compile(helpers, "helpers.py", "exec"), module.__dict__)
    with Flask(__name__).test_request_context("/boom"):
        response = module.AppException.handle(module.AppException("gone", 410, {"id": 3}))
        assert (response.status_code, response.get_json()) == (410, {"id": 3, "message": "gone"})
        assert response.data == b'{"id":3,"message":"gone"}\n'
        answer = module.handle_error(ValueError("no"))
        assert answer.get_json() == {"error": "no", "path": "/boom"}
    assert module.error("x", 400)[0].body == b'{"error":"x"}\n'  # the compat twin


def test_a_module_without_views_alone_is_only_marked(tmp_path: Path) -> None:
    """flask-restful-boilerplate's layout: the exception module has nothing but the class."""
    source = "from flask import jsonify, make_response\n\n\n" + EXCEPTION
    root = _project(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/views.py": VIEWS.replace(
                "from .helpers import error, fail\n",
                "from .helpers import error, fail\nfrom .errors import AppException\n",
            ),
            "app/helpers.py": HELPERS,
            "app/errors.py": source,
        },
    )
    changed = _recipe(root)
    new, todos = changed[str(Path("app/errors.py"))]
    added = _marker_lines(source, new)
    assert len(added) == 1 and new.replace(added[0] + "\n", "") == source
    assert len(todos) == 1 and todos[0].startswith("ASY104: AppException.handle() keeps")


def test_a_handler_a_view_names_is_converted(tmp_path: Path) -> None:
    """A view calling ``AppException.handle`` (or registering it on a converted app) puts
    it on FastAPI's side: converted as before."""
    views = VIEWS.replace(
        "    return {'id': item_id}\n", "    return AppException.handle(AppException('x'))\n"
    ).replace(
        "from .helpers import error, fail\n", "from .helpers import AppException, error, fail\n"
    )
    root = _project(
        tmp_path, {"app/__init__.py": "", "app/views.py": views, "app/helpers.py": HELPERS}
    )
    helpers, todos = _recipe(root)[str(Path("app/helpers.py"))]
    assert "response = flask_response(jsonify(e.to_dict()))\n" in helpers
    assert [t.split("()")[0] for t in todos] == ["ASY104: handle_error"]


def test_a_second_run_over_the_rewritten_project_changes_nothing(tmp_path: Path) -> None:
    root = _project(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/views.py": VIEWS,
            "app/helpers.py": HELPERS,
            "tests/test_helpers.py": TESTS,
        },
    )
    first = api.apply_recipe([root], "flask-to-fastapi", root=root, write=True, allow_dirty=True)
    assert sorted(first.written) == [str(Path("app/helpers.py")), str(Path("app/views.py"))]
    assert _recipe(root) == {}


def test_decorators_and_unparsed_callers_count_as_reaching(tmp_path: Path) -> None:
    """A view's decorator (and the wrapper it returns) is on FastAPI's side; a file that does
    not parse counts every word it holds, so what it may call is converted too."""
    auth = (
        "from functools import wraps\n\nfrom flask import jsonify, request\n\n\n"
        "def login_required(f):\n    @wraps(f)\n    def wrapper(*args, **kwargs):\n"
        "        if not request.headers.get('X-Token'):\n"
        "            return jsonify(error='unauthorized'), 401\n"
        "        return f(*args, **kwargs)\n    return wrapper\n\n\n"
        "def legacy_only():\n    return jsonify(ok=True)\n"
    )
    views = (
        "from flask import Blueprint\n\nfrom .auth import login_required\n\n"
        "bp = Blueprint('b', __name__)\n\n\n@bp.get('/')\n@login_required\n"
        "def index():\n    return {}\n"
    )
    files = {"app/__init__.py": "", "app/views.py": views, "app/auth.py": auth}
    root = _project(tmp_path, files)
    sources = {p: (root / p).read_bytes() for p in files}
    assert flask_side(root, sources) == {"app/auth.py": frozenset({"legacy_only"})}
    (root / "scripts").mkdir()
    (root / "scripts" / "old.py").write_text(
        "from app.auth import legacy_only\nprint legacy_only()\n"
    )
    assert flask_side(root, sources) == {}
