"""`apply` on endpoints that use a client the legacy app creates (in ``app.extensions``, a
``requests.Session`` with a ``Retry`` adapter, session params and a response hook): the twin
adopts it (``compat.adopt``) and the endpoints become async; where the object is handed on,
or used from code that stays sync, twin code gets the legacy object. Served for real against
the sample upstream service, legacy and migrated side by side."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import httpx
from typer.testing import CliRunner

from asyncify import verify
from asyncify.cli import app

runner = CliRunner()

CLIENT = '''import logging

import requests
from flask import current_app
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

log = logging.getLogger(__name__)
seen = []


def _record(response, *args, **kwargs):
    seen.append(response.status_code)


class Client:
    def __init__(self, base, key):
        self.base = base
        retry = Retry(total=3, status_forcelist=(503,), backoff_factor=0,
                      allowed_methods=frozenset({"GET"}))
        self.session = requests.Session()
        self.session.mount("http://", HTTPAdapter(max_retries=retry))
        self.session.params = {"key": key}
        self.session.hooks["response"].append(_record)

    def fetch(self, path):
        response = self.session.get(self.base + path, timeout=5)
        response.raise_for_status()
        return response.json()


def get_client() -> Client:
    return current_app.extensions["proj.client"]


def init_app(app):
    app.extensions["proj.client"] = Client(app.config["UPSTREAM_URL"], "k1")
'''

APP = '''import os

import requests
from flask import Flask, jsonify

from . import client as upstream
from .views import bp


def upstream_failed(exc):
    return jsonify(error="upstream", status=exc.response.status_code), 502


def create_app():
    app = Flask(__name__)
    app.config["UPSTREAM_URL"] = os.environ["UPSTREAM_URL"]
    upstream.init_app(app)
    app.register_error_handler(requests.HTTPError, upstream_failed)
    app.register_blueprint(bp)
    return app


app = create_app()
'''

VIEWS = '''import functools

from flask import Blueprint, jsonify

from . import client as upstream
from .client import get_client

bp = Blueprint("api", __name__)


def describe(client):
    return {"base": client.base.startswith("http://"), "class": type(client).__name__}


def audited(view):
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        return view(*args, **kwargs)
    return wrapper


@bp.get("/flaky/<key>")
def flaky(key):
    client = get_client()
    return jsonify(client.fetch(f"/faults/flaky/{key}?failures=2"))


@bp.get("/status/<int:code>")
def status(code):
    return jsonify(get_client().fetch(f"/faults/status/{code}"))


@bp.get("/described")
def described():
    return jsonify(describe(get_client()))


@bp.get("/audited/<key>")
@audited
def audited_flaky(key):
    return jsonify(get_client().fetch(f"/faults/flaky/{key}?failures=1"))
'''


def _body(response: httpx.Response) -> Any:
    """The body, without the flaky key (each side uses its own)."""
    if response.headers.get("content-type", "").startswith("application/json"):
        data = response.json()
        return {k: v for k, v in data.items() if k != "key"} if isinstance(data, dict) else data
    return response.text


def project(root: Path) -> Path:
    (root / "proj").mkdir(parents=True)
    (root / "proj" / "__init__.py").write_text("")
    (root / "proj" / "client.py").write_text(CLIENT)
    (root / "proj" / "app.py").write_text(APP)
    (root / "proj" / "views.py").write_text(VIEWS)
    git = ["git", "-c", "user.email=t@t", "-c", "user.name=t"]
    subprocess.run([*git, "init", "-q"], cwd=root, check=True)
    subprocess.run([*git, "add", "."], cwd=root, check=True)
    subprocess.run([*git, "commit", "-qm", "legacy"], cwd=root, check=True)
    return root


def test_a_client_the_legacy_app_creates_is_adopted(tmp_path: Path,
                                                   sample_harness: Any) -> None:
    root = project(tmp_path / "p")
    legacy_files = {p: p.read_bytes() for p in (root / "proj").glob("*.py")}
    applied = runner.invoke(app, ["apply", "proj.views.flaky", "proj.views.status",
                                  "proj.views.described", "proj.views.audited_flaky",
                                  "--root", str(root), "--write"])
    assert applied.exit_code == 0, applied.output
    assert {p: p.read_bytes() for p in (root / "proj").glob("*.py")} == legacy_files

    twin_client = (root / "proj_async" / "client.py").read_text()
    assert "class Client(proj.client.Client):" in twin_client
    assert "async def fetch(self, path):" in twin_client
    assert "return adopt(proj.client.get_client(), Client)" in twin_client
    assert "__init__" not in twin_client  # the legacy object is made by the legacy code
    twin_app = (root / "proj_async" / "views.py").read_text()
    assert "async def flaky(key):" in twin_app
    assert "return jsonify(await client.fetch(" in twin_app
    assert "async def status(code):" in twin_app
    # Handed on to a pure helper: the legacy object (the helper expects it).
    assert "jsonify(describe(proj.client.get_client()))" in twin_app
    # A view kept sync by its decorator calls the legacy getter, and stays sync.
    assert "def audited_flaky(key):" in twin_app
    assert "jsonify(proj.client.get_client().fetch(" in twin_app

    with sample_harness.serve_upstream(log_dir=tmp_path) as upstream:
        env = {"UPSTREAM_URL": upstream.url}
        legacy = verify.start_app(verify.AppSpec.parse("wsgi:proj.app:app"), app_dir=root,
                                  env=env, log_dir=tmp_path, name="legacy")
        migrated = verify.start_app(verify.AppSpec.parse("asgi:proj_async.main:app"),
                                    app_dir=root, env=env, log_dir=tmp_path, name="migrated")
        with legacy, migrated, httpx.Client(timeout=10) as http:
            legacy.wait_ready("/status/200")
            migrated.wait_ready("/status/200")
            for path in ("/flaky/{side}-a", "/flaky/{side}-b", "/status/200", "/status/404",
                         "/status/503", "/described", "/audited/{side}-c"):
                old = http.get(legacy.url + path.format(side="legacy"))
                new = http.get(migrated.url + path.format(side="migrated"))
                assert (new.status_code, _body(new)) == (old.status_code, _body(old)), path
            # The retries really ran: two 503s then the answer, on both sides.
            assert http.get(legacy.url + "/flaky/legacy-d").json()["attempt"] == 3
            assert http.get(migrated.url + "/flaky/migrated-d").json()["attempt"] == 3
