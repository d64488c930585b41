"""The way the ASY101 marker of an app that stays Flask points to: `asyncify apply ENDPOINT`
on a route of a module whose app an extension uses. The app stays Flask: its twin imports
it (and the extension) from the legacy module instead of making them again, and keeps
Flask's ``request``/``jsonify``, which the combined app runs inside the legacy app's request
context: legacy and migrated servers answer the same bytes."""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx
from typer.testing import CliRunner

from asyncify import verify
from asyncify.cli import app

BOUND_APP = '''from flask import Flask, jsonify, make_response, request
from flask_sqlalchemy import SQLAlchemy

app = Flask(__name__)
app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite://"
app.config["GREETING"] = "hello"
db = SQLAlchemy(app)


@app.route("/greet")
def greet():
    return jsonify(greeting=app.config["GREETING"], name=request.args.get("name", "you"))


@app.errorhandler(404)
def not_found(e):
    return make_response(jsonify(error="not found", path=request.path), 404)
'''


def test_a_route_of_a_flask_bound_app_is_migrated_by_apply(tmp_path: Path) -> None:
    root = tmp_path / "p"
    (root / "proj").mkdir(parents=True)
    (root / "proj" / "__init__.py").write_text("")
    (root / "proj" / "app.py").write_text(BOUND_APP)
    git = ["git", "-c", "user.email=t@t", "-c", "user.name=t"]
    for command in (["init", "-q"], ["add", "."], ["commit", "-qm", "legacy"]):
        subprocess.run([*git, *command], cwd=root, check=True)
    applied = CliRunner().invoke(app, ["apply", "proj.app.greet", "--root", str(root),
                                       "--write"])
    assert applied.exit_code == 0, applied.output
    twin = (root / "proj_async" / "app.py").read_text()
    assert "Flask(" not in twin and "SQLAlchemy(" not in twin and "flask_app" not in twin
    assert "    app,\n" in twin and "    db,\n" in twin and "@app." not in twin
    main = (root / "proj_async" / "main.py").read_text()
    assert '"/greet", flask_view(proj_async_app.greet)' in main
    legacy = verify.start_app(verify.AppSpec.parse("wsgi:proj.app:app"), app_dir=root, env={},
                              log_dir=tmp_path, name="legacy")
    migrated = verify.start_app(verify.AppSpec.parse("asgi:proj_async.main:app"), app_dir=root,
                                env={}, log_dir=tmp_path, name="migrated")
    with legacy, migrated, httpx.Client(timeout=10) as http:
        legacy.wait_ready("/greet")
        migrated.wait_ready("/greet")
        for path in ("/greet", "/greet?name=ada", "/nowhere"):
            old, new = http.get(legacy.url + path), http.get(migrated.url + path)
            assert (new.status_code, new.content) == (old.status_code, old.content), path
            assert new.headers["content-type"] == old.headers["content-type"], path
