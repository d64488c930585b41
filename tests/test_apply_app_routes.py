"""`apply` on routes a Flask app declares on itself (not on a blueprint): a module-level view
is migrated into its twin module and routed by the entry points' ``app_routes``; a closure in
the app factory is refused with a message, and nothing is written."""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx
from typer.testing import CliRunner

from asyncify import verify
from asyncify.cli import app

runner = CliRunner()

MODULE_APP = '''from flask import Flask, request

app = Flask(__name__)


@app.route("/ping")
def ping():
    return {"ok": True, "q": request.args.get("q")}


@app.get("/items/<int:item_id>")
def item(item_id):
    return "item %d" % item_id, 201, {"X-Item": str(item_id)}
'''

FETCHING_ROUTE = '''

@app.get("/fetch")
def fetch():
    import requests

    if request.args.get("go"):
        requests.get("http://127.0.0.1:9/")
    return {"fetched": False}
'''

FACTORY_APP = '''from flask import Flask


def create_app():
    app = Flask(__name__)

    @app.get("/version")
    def version():
        return {"version": "1"}

    return app
'''


def project(root: Path, source: str, relpath: str = "proj/app.py") -> Path:
    (root / relpath).parent.mkdir(parents=True)
    if "/" in relpath:
        (root / relpath).parent.joinpath("__init__.py").write_text("")
    (root / relpath).write_text(source)
    git = ["git", "-c", "user.email=t@t", "-c", "user.name=t"]
    subprocess.run([*git, "init", "-q"], cwd=root, check=True)
    subprocess.run([*git, "add", "."], cwd=root, check=True)
    subprocess.run([*git, "commit", "-qm", "legacy"], cwd=root, check=True)
    return root


def served_side_by_side(root: Path, logs: Path, legacy_module: str, entry: str,
                        paths: tuple[str, ...]) -> list[tuple[str, httpx.Response, httpx.Response]]:
    """The legacy app (gunicorn) and the combined app (uvicorn) serving ``root``: each path's
    answers, legacy then migrated, whose status and bytes must be the same."""
    legacy = verify.start_app(verify.AppSpec.parse(f"wsgi:{legacy_module}:app"), app_dir=root,
                              env={}, log_dir=logs, name="legacy")
    migrated = verify.start_app(verify.AppSpec.parse(f"asgi:{entry}:app"), app_dir=root,
                                env={}, log_dir=logs, name="migrated")
    answers = []
    with legacy, migrated, httpx.Client(timeout=10) as http:
        legacy.wait_ready("/ping")
        migrated.wait_ready("/ping")
        for path in paths:
            old, new = http.get(legacy.url + path), http.get(migrated.url + path)
            assert (new.status_code, new.content) == (old.status_code, old.content), path
            answers.append((path, old, new))
    return answers


def test_module_level_app_routes_are_migrated(tmp_path: Path) -> None:
    root = project(tmp_path / "p", MODULE_APP)
    applied = runner.invoke(app, ["apply", "proj.app.ping", "proj.app.item", "--root",
                                  str(root), "--write"])
    assert applied.exit_code == 0, applied.output
    main = (root / "proj_async" / "main.py").read_text()
    assert "from proj.app import app as legacy_app" in main
    assert ('app_routes.add_api_route(\n    "/items/{item_id:int}", flask_view(proj_async_app'
            ".item)") in main
    answers = served_side_by_side(root, tmp_path, "proj.app", "proj_async.main",
                                  ("/ping", "/ping?q=x", "/items/3", "/items/x"))
    for path, old, new in answers:
        assert new.headers.get("x-item") == old.headers.get("x-item"), path
        assert new.headers["content-type"] == old.headers["content-type"], path


def test_a_single_module_app_gets_a_twin_package(tmp_path: Path) -> None:
    """``app.py`` alone at the root (no package): its twin is the package ``app_async``
    itself (``app_async/__init__.py``) beside the entry points; apply crashed on it
    (``ValueError: 'app' is not in list``)."""
    source = MODULE_APP + FETCHING_ROUTE
    root = project(tmp_path / "p", source, relpath="app.py")
    applied = runner.invoke(app, ["apply", "app.ping", "app.item", "app.fetch", "--root",
                                  str(root), "--write"])
    assert applied.exit_code == 0, applied.output
    # Each marker on one line of the report, though its message holds "; ".
    assert ("app_async/__init__.py:21: ASY201: requests had no timeout here (it waits "
            "forever); timeout=None keeps that, choose a bound") in applied.output
    twin = (root / "app_async" / "__init__.py").read_text()
    assert '@app.api_route("/ping", methods=["GET", "HEAD"], name="ping")' in twin
    assert (root / "app_async" / "main.py").is_file()
    assert (root / "app.py").read_text() == source
    served_side_by_side(root, tmp_path, "app", "app_async.main", ("/ping?q=x", "/items/3"))


def test_a_closure_in_the_factory_is_refused(tmp_path: Path) -> None:
    root = project(tmp_path / "p", FACTORY_APP)
    refused = runner.invoke(app, ["apply", "proj.app.create_app.<locals>.version", "--root",
                                  str(root), "--write"])
    assert refused.exit_code == 2
    assert "declared on the app itself, inside a function" in refused.stderr
    assert "define the view, or the blueprint, at module level" in refused.stderr
    assert not (root / "proj_async").exists()
