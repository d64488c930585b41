"""After the last step: each sample, fully migrated, served by its generated
``<pkg>_async/standalone.py`` under uvicorn — no legacy app mounted — passes the sample's own
HTTP suite (real PostgreSQL, real upstream server)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from asyncify import verify
from asyncify.cli import app

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "sample_projects"
runner = CliRunner()

NO_MOUNT = (
    "import sys; from starlette.routing import Mount; import {package}_async.standalone as s; "
    "mounts = [r.path for r in s.app.routes if isinstance(r, Mount)]; "
    "sys.exit(f'mounted: {{mounts}}' if mounts else 0)"
)


def migrate_everything(project: Path, package: str) -> list[str]:
    """Apply every endpoint `apply` accepts, in plan order; the ids of the others."""
    plan = runner.invoke(app, ["plan", str(project), "--format", "json", "--no-cache"])
    assert plan.exit_code == 0, plan.output
    ids = [e["id"] for e in json.loads(plan.stdout)["endpoints"]]
    refused = []
    for endpoint in ids:
        applied = runner.invoke(app, ["apply", endpoint, "--root", str(project), "--write",
                                      "--allow-dirty"])
        if applied.exit_code == 2 and "inside a function" in applied.stderr:
            refused.append(endpoint)
            continue
        assert applied.exit_code == 0, f"{endpoint}: {applied.output}"
    return refused


@pytest.mark.slow
@pytest.mark.timeout(900)  # an apply per endpoint, then the whole suite
@pytest.mark.parametrize(("package", "variable", "tests", "app_routes"), [
    ("bookshop", "BOOKSHOP_APP", 98, ["bookshop.app.create_app.<locals>.version"]),
    ("gateway", "GATEWAY_APP", 43, []),
])
def test_fully_migrated_app_stands_alone(
    tmp_path: Path, package: str, variable: str, tests: int, app_routes: list[str]
) -> None:
    project = tmp_path / "proj"
    project.mkdir()
    shutil.copytree(SAMPLES / package / package, project / package,
                    ignore=shutil.ignore_patterns("__pycache__"))
    refused = migrate_everything(project, package)
    assert sorted(refused) == sorted(app_routes)
    entry = (project / f"{package}_async" / "standalone.py").read_text()
    assert "Every endpoint `apply` can migrate is applied." in entry
    for endpoint in app_routes:  # listed, and served by the legacy view function
        assert f"({endpoint})" in entry
    assert "Not migrated yet" not in entry
    env = {**os.environ, variable: f"asgi:{package}_async.standalone:app",
           "PYTHONPATH": str(project)}
    mounted = subprocess.run([sys.executable, "-c", NO_MOUNT.format(package=package)],
                             cwd=project, env=env, capture_output=True, text=True, timeout=120)
    assert mounted.returncode == 0, mounted.stderr[-2000:]
    suite = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         str(SAMPLES / package / "tests")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )
    assert suite.returncode == 0, suite.stdout[-4000:]
    assert f"{tests} passed" in suite.stdout, suite.stdout[-500:]


LEGACY_APP = '''
import requests
from flask import Flask, g, jsonify, request
from werkzeug.exceptions import HTTPException


class Refused(Exception):
    pass


def create_app():
    app = Flask(__name__)

    @app.before_request
    def start():
        g.calls = 0
        if request.headers.get("X-Stop"):
            return jsonify(stopped=True), 418

    @app.after_request
    def finish(response):
        g.calls += 1
        response.headers["X-After"] = str(g.calls)
        return response

    @app.errorhandler(HTTPException)
    def http_error(exc):
        return jsonify(error=exc.name, code=exc.code), exc.code

    @app.errorhandler(Refused)
    def refused(exc):
        return jsonify(error="refused"), 409

    @app.errorhandler(requests.ConnectionError)
    def unreachable(exc):
        return jsonify(error="unreachable"), 502

    @app.errorhandler(500)
    def internal(exc):
        return jsonify(error="internal"), 500

    return app
'''

TWIN = '''
import httpx
from fastapi import APIRouter
from flask import g

from legacy_app import Refused

bp = APIRouter()


@bp.get("/items/")
async def items():
    return {"calls_before_after": g.calls}


@bp.get("/refused")
async def refused():
    raise Refused()


@bp.get("/unreachable")
async def unreachable():
    async with httpx.AsyncClient() as client:
        await client.get("http://127.0.0.1:9/")  # discard port: refused


@bp.get("/boom")
async def boom():
    raise RuntimeError("boom")
'''

ENTRY = '''
from asyncify.compat import {helper}

from legacy_app import create_app
import twin

app = {helper}(create_app(), [(twin.bp, "/api")])
'''


@pytest.mark.parametrize("helper", ["standalone", "combine"])
def test_legacy_hooks_and_error_handlers_answer(tmp_path: Path, helper: str) -> None:
    """Standing alone (and in the combined app): router 404/405, an exception class, an
    httpx error (as the requests one it replaces) and an unhandled error are answered by the
    legacy handlers; the after_request hook runs once per response; a before_request
    response answers; standing alone, /x redirects to the route /x/ with a 308 as in Flask."""
    (tmp_path / "legacy_app.py").write_text(LEGACY_APP)
    (tmp_path / "twin.py").write_text(TWIN)
    (tmp_path / "entry.py").write_text(ENTRY.format(helper=helper))
    server = verify.start_app(verify.AppSpec.parse("asgi:entry:app"), app_dir=tmp_path,
                              env={}, log_dir=tmp_path)
    with server, httpx.Client(base_url=server.url, timeout=10) as http:
        server.wait_ready("/api/items/")
        expected = {
            "/api/items/": (200, {"calls_before_after": 0}),
            "/nowhere": (404, {"error": "Not Found", "code": 404}),
            "/api/refused": (409, {"error": "refused"}),
            "/api/unreachable": (502, {"error": "unreachable"}),
            "/api/boom": (500, {"error": "internal"}),
        }
        for path, (status, body) in expected.items():
            response = http.get(path)
            assert (response.status_code, response.json()) == (status, body), path
            assert response.headers["x-after"] == "1", path
        stopped = http.get("/api/items/", headers={"X-Stop": "1"})
        assert (stopped.status_code, stopped.json()) == (418, {"stopped": True})
        if helper == "combine":
            # The rest goes to the mounted legacy app, which has no /api/items/ route here.
            return
        wrong = http.post("/api/items/")
        assert (wrong.status_code, wrong.json()["code"]) == (405, 405)
        slash = http.get("/api/items")
        assert slash.status_code == 308
        assert slash.headers["location"].endswith("/api/items/")
