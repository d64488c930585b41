"""Behaviour kept, end to end, for a Flask-Testing suite (ASY709): a small Flask app and a
suite written with ``flask_testing.TestCase`` pass as they are; migrated by the
``flask-tests-to-httpx`` recipe (no Flask-Testing import left) the same tests pass against
the app served over ASGI: the legacy app alone while ``asyncify apply`` has written no twin,
and the combined app once it has (a twin answering one path differently fails exactly
the tests reaching it).
All runs are real pytest runs in a subprocess."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from asyncify.codemods import select, transform

APP = '''\
from flask import Flask, abort, jsonify, redirect, request, session, url_for


def create_app(config=None):
    app = Flask(__name__)
    app.config.update(SECRET_KEY="dev", ITEMS={1: "one"})
    app.config.update(config or {})

    @app.get("/home")
    def home():
        return jsonify(ok=True, user=session.get("user"))

    @app.get("/old")
    def old():
        return redirect(url_for("home", _external=True))

    @app.post("/login")
    def login():
        session["user"] = request.form["user"]
        return redirect(url_for("home"))

    @app.get("/items/<int:item_id>")
    def item(item_id):
        if item_id not in app.config["ITEMS"]:
            abort(404)
        return jsonify(id=item_id, name=app.config["ITEMS"][item_id])

    @app.post("/items")
    def create():
        return jsonify(name=request.get_json()["name"]), 201

    @app.get("/text")
    def text():
        return " ".join(["hello"] * int(request.args["n"])), {"Content-Type": "text/plain"}

    return app
'''

SUITE = '''\
from flask import current_app, url_for
from flask_testing import TestCase

from shop import create_app


class Base(TestCase):
    def create_app(self):
        return create_app({"TESTING": True})

    def login(self, user):
        return self.client.post("/login", data={"user": user}, follow_redirects=True)


class Pages(Base):
    def setUp(self):
        self.seen = []

    def test_home(self):
        response = self.client.get(url_for("home"))
        self.assert200(response)
        self.assertEqual(response.json, {"ok": True, "user": None})

    def test_items(self):
        self.assert404(self.client.get("/items/9"))
        self.assertStatus(self.client.get("/items/1"), 200)
        created = self.client.post("/items", json={"name": "x"})
        self.assertStatus(created, 201, "created")
        self.assertEqual(created.get_json()["name"], "x")

    def test_redirect(self):
        self.assertRedirects(self.client.get("/old"), "/home")

    def test_login(self):
        answer = self.login("ann")
        self.assert_200(answer)
        self.assertIn(b'"user":"ann"', answer.data.replace(b" ", b""))

    def test_request_context(self):
        self.assertTrue(current_app.config["TESTING"])
        self.assertEqual(url_for("item", item_id=1), "/items/1")
        self.assertEqual(self.seen, [])

    def test_text(self):
        answer = self.client.get("/text", query_string={"n": "2"})
        self.assertEqual(answer.data, b"hello hello")
        self.assertEqual(answer.mimetype, "text/plain")
'''

TWIN = '''\
from fastapi import APIRouter

from asyncify.compat import combine
from shop import create_app

router = APIRouter()


@router.get("/home")
async def home():
    return {"ok": "from the twin", "user": None}


app = combine(create_app(), [(router, "")])
'''


def _project(root: Path) -> Path:
    (root / "shop").mkdir(parents=True)
    (root / "shop" / "__init__.py").write_text(APP)
    (root / "tests").mkdir()
    (root / "tests" / "test_shop.py").write_text(SUITE)
    return root


def _pytest(project: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(project)}
    env.pop("ASYNCIFY_COMBINED_APP", None)
    # The suite's own configuration (none): the project's `filterwarnings = error` would
    # turn the legacy-only warning into errors.
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-c", os.devnull,
         "--rootdir", str(project), "tests"],
        cwd=project, env=env, capture_output=True, text=True, timeout=300)


def _counts(result: subprocess.CompletedProcess[str]) -> dict[str, int]:
    return {word: int(n) for n, word in re.findall(r"(\d+) (passed|failed|error)",
                                                    result.stdout)}


def _migrate(project: Path) -> str:
    path = project / "tests" / "test_shop.py"
    outcome = transform(str(path), path.read_bytes(), select("flask-tests-to-httpx"))
    assert outcome.status == "changed", outcome.reason
    assert outcome.todos == []
    assert outcome.new is not None
    path.write_bytes(outcome.new)
    return outcome.new.decode()


def test_the_migrated_suite_passes_over_asgi_as_the_legacy_one_does(tmp_path: Path) -> None:
    legacy = _pytest(_project(tmp_path / "legacy"))
    assert _counts(legacy) == {"passed": 6}, legacy.stdout[-3000:]

    project = _project(tmp_path / "migrated")
    migrated = _migrate(project)
    assert "flask_testing" not in migrated
    assert "self.client = asgi_client(combined_app(self.app))" in migrated
    # No twin written yet: the legacy app alone, through the ASGI wrapping, with a warning.
    alone = _pytest(project)
    assert _counts(alone) == {"passed": 6}, alone.stdout[-3000:]
    assert "LegacyOnlyWarning: no migrated app 'shop_async.main:app'" in alone.stdout


def test_the_migrated_suite_drives_the_combined_app(tmp_path: Path) -> None:
    project = _project(tmp_path / "p")
    _migrate(project)
    (project / "shop_async").mkdir()
    (project / "shop_async" / "__init__.py").write_text("")
    (project / "shop_async" / "main.py").write_text(TWIN)
    result = _pytest(project)
    # The two tests whose requests end at /home (login follows its redirect there) fail.
    assert _counts(result) == {"failed": 2, "passed": 4}, result.stdout[-3000:]
    assert "FAILED tests/test_shop.py::Pages::test_home" in result.stdout
    assert "FAILED tests/test_shop.py::Pages::test_login" in result.stdout
    assert "'from the twin'" in result.stdout
    assert "LegacyOnlyWarning" not in result.stdout
