"""`apply` on views that depend on the legacy request machinery, legacy (Flask's test client)
against the combined app (over ASGI), in a subprocess with the project on its path:

- views that read or set Flask's ``g``: the twin answers inside the legacy request context,
  where the legacy ``before_request`` hooks set ``g.user`` and the ``after_request`` hooks read
  what the view put there — so the twin keeps Flask's ``g`` (``request.state`` would be
  another object: ``AttributeError``, a 500);
- views whose decorator passes them an argument (``token_required`` calling
  ``f(user, *args, **kwargs)``): Flask gives a view only its URL variables, so FastAPI must
  not ask the request for ``user`` (it answered 422)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from asyncify.cli import app

runner = CliRunner()

FILES = {
    "shop/__init__.py": "",
    "shop/app.py": '''from flask import Flask, g, request


def create_app():
    app = Flask(__name__)

    @app.before_request
    def load_user():
        g.user = request.headers.get("X-User", "anonymous")

    @app.after_request
    def tag(response):
        response.headers["X-Note"] = g.get("note", "-")
        return response

    from .views import bp
    app.register_blueprint(bp, url_prefix="/api")
    return app
''',
    "shop/views.py": '''from functools import wraps

from flask import Blueprint, g, jsonify, request
import requests

bp = Blueprint("views", __name__)


def token_required(f):
    @wraps(f)
    def decorated(*args, **kwargs):
        token = request.headers.get("token")
        if token != "letmein":
            return jsonify(message="bad token"), 401
        return f("user-" + token, *args, **kwargs)
    return decorated


@bp.route("/entries/<int:entry_id>")
@token_required
def entry(current_user, entry_id, limit=3):
    g.note = "entry"
    return jsonify(user=current_user, entry=entry_id, limit=limit)


def with_name(f):
    @wraps(f)
    def decorated(*args, **kwargs):
        return f(request.headers.get("X-User", "anon"), *args, **kwargs)
    return decorated


@bp.route("/whoami")
@with_name
def whoami(name: str):
    g.note = "whoami"
    return jsonify(name=name)


@bp.route("/me")
def me():
    fetched = None
    if g.user == "fetch":
        fetched = requests.get("http://127.0.0.1:9/", timeout=0.01).status_code
    g.note = "seen " + g.user
    return jsonify(user=g.user, fetched=fetched)
''',
}

PROBE = '''
import json, sys
from asyncify.compat import asgi_client
from shop.app import create_app
from shop_async.main import app

legacy, migrated = create_app().test_client(), asgi_client(app)
out = []
for path, headers in (("/api/me", {"X-User": "ann"}), ("/api/me", {}),
                      ("/api/entries/7", {"token": "letmein"}),
                      ("/api/entries/7?limit=9&current_user=x", {"token": "letmein"}),
                      ("/api/entries/7", {"token": "nope"}),
                      ("/api/whoami", {"X-User": "zed"})):
    a, b = legacy.get(path, headers=headers), migrated.get(path, headers=headers)
    out.append([[a.status_code, a.get_data(as_text=True), a.headers.get("X-Note")],
                [b.status_code, b.text, b.headers.get("x-note")]])
print(json.dumps(out))
'''


def _legacy_repo(root: Path, files: dict[str, str]) -> None:
    """The legacy project, committed (``apply --write`` refuses a dirty tree)."""
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    git = ["git", "-c", "user.email=t@t", "-c", "user.name=t"]
    for step in (["init", "-q"], ["add", "."], ["commit", "-qm", "legacy"]):
        subprocess.run([*git, *step], cwd=root, check=True)


def test_twins_keep_g_and_what_legacy_decorators_pass(tmp_path: Path) -> None:
    _legacy_repo(tmp_path, FILES)
    applied = runner.invoke(app, ["apply", "shop.views.me", "shop.views.entry",
                                  "shop.views.whoami", "--root", str(tmp_path), "--write"])
    assert applied.exit_code == 0, applied.output

    twin = (tmp_path / "shop_async" / "views.py").read_text(encoding="utf-8")
    assert "async def me():" in twin and "from flask import g" in twin
    assert "g.note = " in twin and "request.state" not in twin
    # The decorator supplies ``current_user`` and Flask never passes ``limit``: FastAPI must
    # not read them from the request.
    assert "@legacy_decorator(token_required, injects=('current_user', 'limit'))" in twin
    # An annotated parameter the decorator passes (``name: str``) is the view's own too.
    assert "@legacy_decorator(with_name, injects=('name',))" in twin

    probe = subprocess.run([sys.executable, "-c", PROBE], cwd=tmp_path, capture_output=True,
                           text=True, check=False)
    assert probe.returncode == 0, probe.stderr
    answers = json.loads(probe.stdout)
    for legacy, migrated in answers:
        assert migrated[0] == legacy[0]
        assert json.loads(migrated[1]) == json.loads(legacy[1])
        assert migrated[2] == legacy[2]  # the after_request hook read the view's g.note
    assert [legacy[0] for legacy, _ in answers] == [200, 200, 200, 200, 401, 200]
    assert json.loads(answers[5][1][1]) == {"name": "zed"}
    assert json.loads(answers[0][1][1])["user"] == "ann"
    assert json.loads(answers[3][1][1]) == {"user": "user-letmein", "entry": 7, "limit": 3}


ERRORS = {
    "shop/__init__.py": "",
    "shop/app.py": '''from flask import Flask

from shop.views import bp


def create_app():
    app = Flask(__name__)
    app.register_blueprint(bp, url_prefix="/api")
    return app
''',
    "shop/views.py": '''import requests
from flask import Blueprint, jsonify, request

bp = Blueprint("views", __name__)


class Missing(Exception):
    pass


@bp.app_errorhandler(Missing)
def missing(error):
    return jsonify(error="missing", item=str(error)), 404


@bp.route("/items/<int:item_id>")
def item(item_id):
    if item_id > 10:
        raise Missing(item_id)
    fetched = None
    if request.headers.get("X-Fetch"):
        fetched = requests.get("http://127.0.0.1:9/", timeout=0.01).status_code
    return jsonify(item=item_id, fetched=fetched)
''',
}

ERRORS_PROBE = '''
import json
from asyncify.compat import asgi_client
from shop.app import create_app
from shop_async.main import app

legacy, migrated = create_app().test_client(), asgi_client(app)
out = []
for path in ("/api/items/3", "/api/items/11", "/api/items/x"):
    a, b = legacy.get(path), migrated.get(path)
    out.append([[a.status_code, a.get_data(as_text=True)], [b.status_code, b.text]])
print(json.dumps(out))
'''


def test_a_blueprint_with_app_wide_error_handlers_still_gets_a_router(tmp_path: Path) -> None:
    """``@bp.app_errorhandler`` makes ASY101 keep a blueprint Flask when converting in place;
    a twin's router is a new object, and the legacy blueprint keeps handling the app's
    errors (the migrated route's too, through the legacy request context). The twin used to
    keep ``Blueprint(...)``, which the combined app cannot include."""
    _legacy_repo(tmp_path, ERRORS)
    applied = runner.invoke(app, ["apply", "shop.views.item", "--root", str(tmp_path),
                                  "--write"])
    assert applied.exit_code == 0, applied.output
    twin = (tmp_path / "shop_async" / "views.py").read_text(encoding="utf-8")
    assert "bp = APIRouter()" in twin and "Blueprint" not in twin
    assert "app_errorhandler" not in twin  # the handler stays the legacy one, re-exported

    probe = subprocess.run([sys.executable, "-c", ERRORS_PROBE], cwd=tmp_path,
                           capture_output=True, text=True, check=False)
    assert probe.returncode == 0, probe.stderr
    answers = json.loads(probe.stdout)
    assert [legacy[0] for legacy, _ in answers] == [200, 404, 404]
    for legacy, migrated in answers:
        assert migrated == legacy


def test_a_handler_whose_io_is_not_converted_is_reported(tmp_path: Path) -> None:
    """A cursor on a connection a legacy hook keeps in ``g``: the index sees
    ``cur.execute`` (so ``plan`` says "convert") but no rule can convert it. The twin keeps
    the view sync — served in a worker thread inside the legacy request context, as before —
    and the report says so and why, instead of nothing."""
    _legacy_repo(tmp_path, {
        "svc/__init__.py": "",
        "svc/views.py": '''import psycopg2
from flask import Flask, g, jsonify

app = Flask(__name__)


@app.before_request
def open_db():
    g.db = psycopg2.connect("host=127.0.0.1 user=postgres dbname=test")


@app.route("/n")
def n():
    with g.db.cursor() as cur:
        cur.execute("select 1")
        return jsonify(n=cur.fetchone()[0])
''',
    })
    applied = runner.invoke(app, ["apply", "svc.views.n", "--root", str(tmp_path)])
    assert applied.exit_code == 1, applied.output  # a diff to write
    assert ("svc_async/views.py:14: n stays sync, served in a worker thread: cur.execute "
            "(legacy line 15) is not converted (its receiver's type is not known)"
            ) in applied.output
    assert "+def n():" in applied.output


def test_a_handler_reaching_io_no_rule_converts_is_reported(tmp_path: Path) -> None:
    """sqlite3, which no rule converts, in a helper the view calls: the view stays sync
    (served in a worker thread, as before) and apply said nothing while ``plan`` said
    "convert"; the report names the call, where it is, and what to port it to."""
    _legacy_repo(tmp_path, {
        "svc/__init__.py": "",
        "svc/views.py": '''import sqlite3

from flask import Flask, g, jsonify

app = Flask(__name__)
app.config["DB"] = "x.db"


def get_db():
    if "db" not in g:
        g.db = sqlite3.connect(app.config["DB"])
    return g.db


@app.route("/a")
def a():
    return jsonify(get_db().execute("SELECT 1").fetchall())
''',
    })
    applied = runner.invoke(app, ["apply", "svc.views.a", "--root", str(tmp_path)])
    assert ("a stays sync, served in a worker thread: sqlite3.connect in get_db() (legacy "
            "line 11) is not converted; no rule converts it: port it by hand (aiosqlite, or "
            "await asyncio.to_thread(...))") in applied.output, applied.output
