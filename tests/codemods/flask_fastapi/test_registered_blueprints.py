"""Blueprints registered across files (RonKbS/baron_s_online_journal): the app stays Flask
(``app.config``…), and ``app.register_blueprint(bp_api)`` in its module registers the
blueprint ``bp`` of ``app/api/__init__.py``, whose views (and their decorator
``token_required``) live in ``app/api/entries.py``. The blueprint stays Flask with the app
(a marker names it), so do the views and the decorator only they use (Flask's ``jsonify``),
and the app answers exactly as before. A blueprint whose views are in another file stays
Flask too (and so does the app registering it), while one registered on a converted app, with
its views beside it, still converts.

The projects are imported and driven in a subprocess (their packages are not on this
process's path): the same requests against the legacy and the migrated tree."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from asyncify import api
from asyncify.codemods.flask_fastapi._callers import project_side

JOURNAL = {
    "journal/__init__.py": (
        "from flask import Flask\n\n"
        "app = Flask(__name__)\n"
        "app.config['SECRET'] = 'letmein'\n\n"
        "from journal.api import bp as bp_api\n"
        "app.register_blueprint(bp_api, url_prefix='/api/v1')\n\n"
        "from journal import views\n"
    ),
    "journal/views.py": (
        "from flask import jsonify\n\nfrom journal import app\n\n\n"
        "@app.route('/')\ndef index():\n    return jsonify(home=True)\n"
    ),
    "journal/api/__init__.py": (
        "from flask import Blueprint\n\n"
        "from .admin import admin\n\n"
        "bp = Blueprint('api', __name__)\n"
        "bp.register_blueprint(admin, url_prefix='/admin')\n\n"
        "from journal.api import entries\n"
    ),
    "journal/api/admin.py": (
        "from flask import Blueprint, jsonify\n\n"
        "admin = Blueprint('admin', __name__)\n\n\n"
        "@admin.route('/stats')\ndef stats():\n    return jsonify(entries=2)\n"
    ),
    "journal/api/entries.py": (
        "from functools import wraps\n\n"
        "from flask import jsonify, request, make_response\n\n"
        "from journal import app\nfrom journal.api import bp\n\n"
        "ENTRIES = {1: 'first', 2: 'second'}\n\n\n"
        "def token_required(f):\n"
        "    @wraps(f)\n"
        "    def decorated(*args, **kwargs):\n"
        "        token = request.headers.get('token')\n"
        "        if not token:\n"
        "            return jsonify({'Message': 'Token is missing'}), 401\n"
        "        if token != app.config['SECRET']:\n"
        "            return jsonify({'Message': 'Token is invalid!'}), 401\n"
        "        return f(token, *args, **kwargs)\n"
        "    return decorated\n\n\n"
        "@bp.route('/entries', methods=['GET'])\n@token_required\n"
        "def all_entries(user):\n"
        "    return jsonify({'user': user, 'entries': sorted(ENTRIES.values())})\n\n\n"
        "@bp.route('/entries/<int:entry_id>', methods=['GET'])\n@token_required\n"
        "def one_entry(user, entry_id):\n"
        "    if entry_id not in ENTRIES:\n"
        "        return jsonify({'Error': 'No such entry'}), 404\n"
        "    return make_response(jsonify({'entry': ENTRIES[entry_id]}), 200)\n\n\n"
        "@bp.route('/entries', methods=['POST'])\n@token_required\n"
        "def add_entry(user):\n"
        "    new = request.get_json() or {}\n"
        "    if not new:\n"
        "        return jsonify({'Message': 'Wrong format used'}), 400\n"
        "    return jsonify({'Message': 'Entry added', 'title': new['title']}), 201\n"
    ),
}

# (method, path, headers, json body) sent to both trees.
REQUESTS = [
    ("GET", "/", {}, None),
    ("GET", "/api/v1/entries", {}, None),
    ("GET", "/api/v1/entries", {"token": "nope"}, None),
    ("GET", "/api/v1/entries", {"token": "letmein"}, None),
    ("GET", "/api/v1/entries/2", {"token": "letmein"}, None),
    ("GET", "/api/v1/entries/9", {"token": "letmein"}, None),
    ("POST", "/api/v1/entries", {"token": "letmein"}, {"title": "third"}),
    ("POST", "/api/v1/entries", {"token": "letmein"}, {}),
    ("GET", "/api/v1/admin/stats", {}, None),
    ("GET", "/api/v1/missing", {}, None),
]

# Imports ``package`` from the current directory and answers REQUESTS with its ``app``:
# Flask's test client for a Flask app, Starlette's for an ASGI one.
CLIENT = """
import importlib, json, sys
sys.path.insert(0, '.')
app = importlib.import_module(sys.argv[1]).app
requests = json.loads(sys.argv[2])
if hasattr(app, 'test_client'):
    client = app.test_client()
    send = lambda m, p, h, b: client.open(p, method=m, headers=h, json=b)
    body = lambda r: r.get_data(as_text=True)
    kind = 'flask'
else:
    from starlette.testclient import TestClient
    client = TestClient(app)
    send = lambda m, p, h, b: client.request(m, p, headers=h, json=b)
    body = lambda r: r.text
    kind = 'asgi'
answers = []
for method, path, headers, payload in requests:
    r = send(method, path, headers, payload)
    answers.append([r.status_code, r.headers.get('content-type'), body(r)])
print(json.dumps([kind, answers]))
"""


def _project(root: Path, files: dict[str, str]) -> Path:
    for relpath, text in files.items():
        (root / relpath).parent.mkdir(parents=True, exist_ok=True)
        (root / relpath).write_text(text)
    return root


def _answers(root: Path, package: str, requests: list[tuple[object, ...]]) -> list[object]:
    done = subprocess.run(
        [sys.executable, "-c", CLIENT, package, json.dumps(requests)],
        cwd=root, capture_output=True, text=True, timeout=120, check=False,
    )
    assert done.returncode == 0, done.stderr
    answer: list[object] = json.loads(done.stdout.splitlines()[-1])
    return answer


def _migrate(tmp_path: Path, files: dict[str, str]) -> tuple[Path, Path, dict[str, list[str]]]:
    """The legacy tree and a migrated copy, and each changed file's markers."""
    legacy = _project(tmp_path / "legacy", files)
    migrated = tmp_path / "migrated"
    shutil.copytree(legacy, migrated)
    run = api.apply_recipe([migrated], "flask-to-fastapi", root=migrated, write=True,
                           allow_dirty=True)
    assert not [o for o in run.outcomes if o.status == "failed"]
    again = api.apply_recipe([migrated], "flask-to-fastapi", root=migrated)
    assert [o.path for o in again.outcomes if o.status == "changed"] == [], "not idempotent"
    todos = {o.path: [f"{t.rule}: {t.message}" for t in o.todos]
             for o in run.outcomes if o.status == "changed"}
    return legacy, migrated, todos


def test_a_blueprint_registered_on_an_app_staying_flask_stays_with_its_views(
    tmp_path: Path,
) -> None:
    legacy, migrated, todos = _migrate(tmp_path, JOURNAL)
    api_init = (migrated / "journal/api/__init__.py").read_text()
    assert "bp = Blueprint('api', __name__)\n" in api_init
    assert "admin" in api_init and "APIRouter" not in api_init
    [marker] = todos[str(Path("journal/api/__init__.py"))]
    assert marker.startswith(
        "ASY101: blueprint 'bp' stays Flask: app.register_blueprint(bp_api, …) in "
        f"{Path('journal/__init__.py')} registers it on app 'app', which stays Flask."
    )
    # The nested blueprint follows its parent, naming it.
    admin = (migrated / "journal/api/admin.py").read_text()
    assert "admin = Blueprint('admin', __name__)\n" in admin and "@admin.route('/stats')" in admin
    [nested] = todos[str(Path("journal/api/admin.py"))]
    assert nested.startswith(
        "ASY101: blueprint 'admin' stays Flask: bp.register_blueprint(admin, …) in "
        f"{Path('journal/api/__init__.py')} registers it on blueprint 'bp'"
    )
    # The views keep Flask's helpers, and so does the decorator only they use.
    entries = (migrated / "journal/api/entries.py").read_text()
    original = JOURNAL["journal/api/entries.py"]
    assert "import asyncify" not in entries and "from asyncify" not in entries
    assert "flask.jsonify" not in entries
    assert entries.count("return jsonify(") == original.count("return jsonify(")
    assert [line for line in entries.splitlines() if line not in original.splitlines()] == [
        next(line for line in entries.splitlines() if "TODO[asyncify ASY104]" in line)
    ]
    assert todos[str(Path("journal/api/entries.py"))][0].startswith(
        "ASY104: token_required() keeps Flask's jsonify: only views of an app or blueprint "
        "that stays Flask name it"
    )
    before = _answers(legacy, "journal", REQUESTS)  # type: ignore[arg-type]
    after = _answers(migrated, "journal", REQUESTS)  # type: ignore[arg-type]
    assert before[0] == after[0] == "flask"
    assert after == before
    statuses = [answer[0] for answer in before[1]]  # type: ignore[index]
    assert statuses == [200, 401, 401, 200, 200, 404, 201, 400, 200, 404]


def test_the_project_answer_names_the_kept_owners(tmp_path: Path) -> None:
    root = _project(tmp_path, JOURNAL)
    sources = {p: (root / p).read_bytes() for p in JOURNAL}
    side = project_side(root, sources)
    assert sorted(side) == [
        "journal/api/__init__.py", "journal/api/admin.py", "journal/api/entries.py"
    ]
    assert side["journal/api/entries.py"].functions == frozenset({"token_required"})
    assert list(side["journal/api/__init__.py"].owners) == ["bp"]
    assert list(side["journal/api/admin.py"].owners) == ["admin"]
    assert side["journal/api/entries.py"].owners == {}


SHOP = {
    "shop/__init__.py": (
        "from flask import Flask\n\n"
        "app = Flask(__name__)\n\n"
        "from shop.api import bp\n"
        "app.register_blueprint(bp, url_prefix='/api')\n"
    ),
    "shop/api.py": (
        "from flask import Blueprint, jsonify\n\n"
        "bp = Blueprint('api', __name__)\n\n\n"
        "@bp.route('/items')\ndef items():\n    return jsonify([1, 2])\n\n\n"
        "@bp.route('/items/<int:item_id>')\ndef item(item_id):\n"
        "    return jsonify(id=item_id)\n"
    ),
}


def test_a_blueprint_registered_on_a_converted_app_still_converts(tmp_path: Path) -> None:
    legacy, migrated, todos = _migrate(tmp_path, SHOP)
    package = (migrated / "shop/__init__.py").read_text()
    assert "app = flask_app()\n" in package
    assert "app.include_router(bp, prefix='/api')\n" in package
    shop = (migrated / "shop/api.py").read_text()
    assert "bp = APIRouter()\n" in shop and "@bp.api_route('/items'" in shop
    assert not any("ASY101" in t for found in todos.values() for t in found)
    requests = [("GET", "/api/items", {}, None), ("GET", "/api/items/7", {}, None)]
    before = _answers(legacy, "shop", requests)  # type: ignore[arg-type]
    after = _answers(migrated, "shop", requests)  # type: ignore[arg-type]
    assert (before[0], after[0]) == ("flask", "asgi")
    assert after[1] == before[1]


def test_views_in_another_file_keep_the_blueprint_and_its_app_flask(tmp_path: Path) -> None:
    """The rules do not convert ``@bp.route`` on a ``bp`` imported from another file: the
    blueprint stays Flask rather than become an ``APIRouter`` its views cannot use, and the
    app registering it stays Flask too (a FastAPI app cannot include a Flask blueprint)."""
    files = {
        "shop/__init__.py": SHOP["shop/__init__.py"],
        "shop/api/__init__.py": (
            "from flask import Blueprint\n\nbp = Blueprint('api', __name__)\n\n"
            "from shop.api import views\n"
        ),
        "shop/api/views.py": SHOP["shop/api.py"].replace(
            "from flask import Blueprint, jsonify\n\nbp = Blueprint('api', __name__)\n",
            "from flask import jsonify\n\nfrom . import bp\n",
        ),
    }
    legacy, migrated, todos = _migrate(tmp_path, files)
    for relpath, text in files.items():
        new = (migrated / relpath).read_text()
        assert [line for line in new.splitlines() if line not in text.splitlines()] == [
            line for line in new.splitlines() if "TODO[asyncify ASY101]" in line
        ]
    [marker] = todos[str(Path("shop/api/__init__.py"))]
    assert marker.startswith(
        f"ASY101: blueprint 'bp' stays Flask: @bp.route(…) in {Path('shop/api/views.py')} "
        "uses it as Flask's blueprint (no rule converts an app or blueprint imported from "
        "another file)."
    )
    assert todos[str(Path("shop/__init__.py"))][0].startswith(
        "ASY101: app 'app' stays Flask, and so does this module: "
        "app.register_blueprint(bp, …) in shop/__init__.py registers blueprint 'bp' "
        f"({Path('shop/api/__init__.py')}), which stays Flask."
    )
    requests = [("GET", "/api/items", {}, None), ("GET", "/api/items/7", {}, None)]
    before = _answers(legacy, "shop", requests)  # type: ignore[arg-type]
    assert _answers(migrated, "shop", requests) == before
