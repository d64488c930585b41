"""ASY701/ASY702 at run time, on a suite written like RonKbS/baron_s_online_journal's: JSON
bodies sent as ``data=json.dumps(...)`` with ``content_type=``, the client kept in
``self.test_client`` by ``setUp``, a GET carrying a body, and a helper reading ``.data`` of
the responses it is given. It passes against the Flask app; migrated (with no TODO left) it
passes against the FastAPI twin, and fails when the twin answers wrongly. Real pytest runs in
a subprocess."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

from asyncify.codemods import select, transform

ROOT = Path(__file__).resolve().parents[3]

FLASK_APP = '''
from flask import Flask, jsonify, request

app = Flask(__name__)


@app.post("/signup")
def signup():
    if request.mimetype != "application/json":
        return jsonify({"Message": "send JSON"}), 415
    return jsonify({"Message": f"Welcome {request.get_json()['name']}"}), 201


@app.get("/notes")
def notes():
    return jsonify({"days": request.get_json()["days"], "token": request.headers["X-Token"]})
'''

FASTAPI_APP = '''
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

app = FastAPI()


@app.post("/signup")
async def signup(request: Request):
    if request.headers.get("content-type") != "application/json":
        return JSONResponse({"Message": "send JSON"}, status_code=415)
    body = await request.json()
    return JSONResponse({"Message": f"Welcome {body['name']}"}, status_code=201)


@app.get("/notes")
async def notes(request: Request):
    body = await request.json()
    return {"days": body["days"], "token": request.headers["X-Token"]}
'''

SUITE = '''
import json
import unittest

from journal import app

user = {"name": "jon"}


def post_json(client, url, payload):
    return client.post(url, data=json.dumps(payload), content_type='application/json')


def json_reply(reponse):
    return json.loads(reponse.data.decode())


def body_of(payload):
    return json.dumps(payload)


class TestJournal(unittest.TestCase):
    def setUp(self):
        app.config['TESTING'] = True
        self.test_client = app.test_client()

    def test_signup(self):
        request = self.test_client.post('/signup', data=json.dumps(user),
                                        content_type='application/json')
        self.assertEqual(request.status_code, 201)
        self.assertEqual(json_reply(request), {"Message": "Welcome jon"})

    def test_signup_through_a_helper(self):
        response = post_json(self.test_client, '/signup', user)
        self.assertEqual(json_reply(response)["Message"], "Welcome jon")

    def test_declared_json_of_unknown_type(self):
        request = self.test_client.post('/signup', data=body_of(user),
                                        content_type='application/json')
        self.assertEqual(request.status_code, 201)

    def test_get_with_a_body(self):
        response = self.test_client.get('/notes', headers={'X-Token': 't'},
                                        data=json.dumps({'days': ['mon']}),
                                        content_type='application/json')
        self.assertEqual(json_reply(response), {'days': ['mon'], 'token': 't'})
'''


def _project(root: Path, fastapi_app: str) -> Path:
    for name, text in (("journal/__init__.py", FLASK_APP),
                       ("journal_async/__init__.py", ""),
                       ("journal_async/main.py", fastapi_app),
                       ("tests/test_journal.py", SUITE)):
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip())
    return root


def _run(project: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(project)}
    env.pop("ASYNCIFY_COMBINED_APP", None)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-c",
         str(ROOT / "pyproject.toml"), "--rootdir", str(project), str(project / "tests")],
        cwd=project, env=env, capture_output=True, text=True, timeout=300)


def _migrate(project: Path) -> str:
    path = project / "tests" / "test_journal.py"
    outcome = transform(str(path), path.read_bytes(), select("flask-tests-to-httpx"))
    assert outcome.status == "changed", outcome.reason
    assert not outcome.todos, outcome.todos
    assert outcome.new is not None
    path.write_bytes(outcome.new)
    return outcome.new.decode()


def _counts(result: subprocess.CompletedProcess[str]) -> tuple[int, int]:
    passed = re.search(r"(\d+) passed", result.stdout)
    failed = re.search(r"(\d+) failed", result.stdout)
    return (int(passed.group(1)) if passed else 0, int(failed.group(1)) if failed else 0)


def test_migrated_suite_passes_against_the_fastapi_twin(tmp_path: Path) -> None:
    project = _project(tmp_path / "p", FASTAPI_APP)
    before = _run(project)
    assert _counts(before) == (4, 0), before.stdout[-3000:]
    migrated = _migrate(project)
    assert "content_type=" not in migrated and ".data" not in migrated
    assert "self.test_client.request(\n" not in migrated  # the GET became request('GET', ...)
    assert "request('GET', '/notes'" in migrated
    after = _run(project)
    assert _counts(after) == (4, 0), after.stdout[-3000:]


def test_migrated_suite_fails_against_a_wrong_twin(tmp_path: Path) -> None:
    wrong = FASTAPI_APP.replace('f"Welcome {body', 'f"Hello {body').replace(
        '"token": request.headers["X-Token"]', '"token": None')
    project = _project(tmp_path / "p", wrong)
    _migrate(project)
    result = _run(project)
    assert _counts(result) == (1, 3), result.stdout[-3000:]
