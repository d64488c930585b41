"""`apply` on routes a Flask app declares on itself (not on a blueprint): a module-level view
is migrated into its twin module and routed by the entry points' ``app_routes``; a closure in
the app factory is refused with a message, and nothing is written."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

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
                        paths: tuple[str, ...], env: dict[str, str] | None = None,
                        then: Callable[[str, str], None] | None = None,
                        ) -> list[tuple[str, httpx.Response, httpx.Response]]:
    """The legacy app (gunicorn) and the combined app (uvicorn) serving ``root``: each path's
    answers, legacy then migrated, whose status and bytes must be the same; ``then`` gets
    both URLs while they still serve."""
    legacy = verify.start_app(verify.AppSpec.parse(f"wsgi:{legacy_module}:app"), app_dir=root,
                              env=env or {}, log_dir=logs, name="legacy")
    migrated = verify.start_app(verify.AppSpec.parse(f"asgi:{entry}:app"), app_dir=root,
                                env=env or {}, log_dir=logs, name="migrated")
    answers = []
    with legacy, migrated, httpx.Client(timeout=10) as http:
        legacy.wait_ready(paths[0])
        migrated.wait_ready(paths[0])
        for path in paths:
            old, new = http.get(legacy.url + path), http.get(migrated.url + path)
            assert (new.status_code, new.content) == (old.status_code, old.content), path
            answers.append((path, old, new))
        if then is not None:
            then(legacy.url, migrated.url)
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


FLASK_SQLALCHEMY_MODULE = '''import os

from flask import Flask, jsonify, request
from flask_sqlalchemy import SQLAlchemy

app = Flask(__name__)
app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"].replace(
    "postgresql://", "postgresql+psycopg2://", 1)
db = SQLAlchemy(app)


class Item(db.Model):
    __tablename__ = "items"
    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(80), nullable=False)


@app.route("/items")
def items():
    return jsonify([{"id": i.id, "name": i.name} for i in Item.query.order_by(Item.id).all()])


@app.route("/items", methods=["POST"])
def create_item():
    item = Item(name=request.get_json()["name"])
    db.session.add(item)
    db.session.commit()
    return jsonify(id=item.id), 201


if __name__ == "__main__":
    app.run(debug=True)
'''


def test_a_module_level_app_with_its_extension_is_imported_not_made_again(
        tmp_path: Path, sample_harness: Any, postgres_dsn: str) -> None:
    """The smallest Flask-SQLAlchemy app: the app, ``SQLAlchemy(app)``, a model and the
    views in one module. The app stays Flask (ASY101), so its twin must import the app and
    ``db`` from the legacy module — it made a second app and a second extension, routed
    the views on that copy, and left ``Item.query…all()`` blocking in ``async def`` — and a
    ``(body, 201)`` returned after a commit must stay a tuple (it became two arguments of
    the ``run_sync`` lambda)."""
    root = project(tmp_path / "p", FLASK_SQLALCHEMY_MODULE, relpath="app.py")
    applied = runner.invoke(app, ["apply", "app.items", "app.create_item", "--root",
                                  str(root), "--write"])
    assert applied.exit_code == 0, applied.output
    twin = (root / "app_async" / "__init__.py").read_text()
    assert "Flask(" not in twin and "SQLAlchemy(" not in twin and "app.run" not in twin
    assert "@app." not in twin and "ASY101" not in twin
    assert "    app,\n" in twin and "    db,\n" in twin  # imported from the legacy module
    assert "(await session.scalars(select(Item).order_by(Item.id))).all()" in twin
    assert "return await session.run_sync(lambda _: (jsonify(id=item.id), 201))" in twin
    schema = tmp_path / "schema.sql"
    schema.write_text("CREATE TABLE items (id serial PRIMARY KEY, name varchar(80) NOT NULL);"
                      "INSERT INTO items (name) VALUES ('a'), ('b');")

    def create(legacy_url: str, migrated_url: str) -> None:
        created = httpx.post(migrated_url + "/items", json={"name": "c"}, timeout=10)
        assert (created.status_code, created.json()) == (201, {"id": 3})
        assert httpx.get(legacy_url + "/items", timeout=10).json()[-1] == {"id": 3,
                                                                          "name": "c"}

    with sample_harness.temporary_database(postgres_dsn, "single", schema) as url:
        served_side_by_side(root, tmp_path, "app", "app_async.main", ("/items",),
                            env={"DATABASE_URL": url}, then=create)


def test_a_closure_in_the_factory_is_refused(tmp_path: Path) -> None:
    root = project(tmp_path / "p", FACTORY_APP)
    refused = runner.invoke(app, ["apply", "proj.app.create_app.<locals>.version", "--root",
                                  str(root), "--write"])
    assert refused.exit_code == 2
    assert "declared on the app itself, inside a function" in refused.stderr
    assert "define the view, or the blueprint, at module level" in refused.stderr
    assert not (root / "proj_async").exists()


HELPERS_MODULE = '''import requests

BASE = "http://127.0.0.1:9"


def fetch(path):
    return requests.get(BASE + path, timeout=5).json()
'''

VIEWS_IMPORTING_MODULES = '''from flask import Flask, jsonify

import helpers
import helpers as h

app = Flask(__name__)
app.config["X"] = 1


@app.route("/x")
def x():
    return jsonify(h.fetch("/a"), helpers.fetch("/b"), helpers.BASE)
'''


def test_a_module_imported_whole_is_its_twin_in_the_twins(tmp_path: Path) -> None:
    """``import helpers as h`` … ``h.fetch()``: the twin awaits ``h.fetch``, so ``h`` must be
    the twin module (it was the legacy one: every request failed with "object dict can't
    be used in 'await' expression"); the twin re-exports the module's other names."""
    root = project(tmp_path / "p", VIEWS_IMPORTING_MODULES, relpath="app.py")
    (root / "helpers.py").write_text(HELPERS_MODULE)
    subprocess.run(["git", "add", "helpers.py"], cwd=root, check=True)
    subprocess.run(["git", "-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm",
                    "helpers"], cwd=root, check=True)
    applied = runner.invoke(app, ["apply", "app.x", "--root", str(root), "--write"])
    assert applied.exit_code == 0, applied.output
    twin = (root / "app_async" / "__init__.py").read_text()
    assert "import app_async.helpers as h\n" in twin
    assert "import app_async.helpers as helpers\n" in twin
    probe = ("import inspect, app_async.main, app_async as t; "
             "assert inspect.iscoroutinefunction(t.h.fetch), t.h.fetch; "
             "assert t.helpers.BASE == 'http://127.0.0.1:9'")
    done = subprocess.run([sys.executable, "-c", probe], cwd=root, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def test_names_bound_only_when_the_module_runs_are_not_imported(tmp_path: Path) -> None:
    """``PORT = 5000; app.run(port=PORT)`` under ``if __name__ == "__main__":``: ``PORT`` is
    not there when the module is imported, so the twin must not import it (``ImportError:
    cannot import name 'PORT'`` at the combined app's start)."""
    source = MODULE_APP + ('\n\nif __name__ == "__main__":\n    import sys\n\n'
                           '    PORT = int(sys.argv[1]) if len(sys.argv) > 1 else 5000\n'
                           '    app.run(port=PORT)\n')
    root = project(tmp_path / "p", source, relpath="app.py")
    applied = runner.invoke(app, ["apply", "app.ping", "--root", str(root), "--write"])
    assert applied.exit_code == 0, applied.output
    twin = (root / "app_async" / "__init__.py").read_text()
    assert "PORT" not in twin.partition('if __name__ == "__main__":')[0].split("from app import")[-1]
    served_side_by_side(root, tmp_path, "app", "app_async.main", ("/ping?q=x",))


def test_a_src_layout_gets_its_entry_points_beside_the_twins(tmp_path: Path) -> None:
    """``src/app.py``: the twin package is ``src/app_async``, and the combined app, the
    standalone app and the manifest go in it (they went to ``app_async/`` at the root,
    where ``import app_async.main`` found no twins); apply says to serve it with
    ``--app-dir src``."""
    root = project(tmp_path / "p", MODULE_APP, relpath="src/app.py")
    (root / "src" / "__init__.py").unlink()  # a src/ layout: src is not a package
    subprocess.run(["git", "-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qam",
                    "src layout"], cwd=root, check=True)
    applied = runner.invoke(app, ["apply", "app.ping", "--root", str(root), "--write"])
    assert applied.exit_code == 0, applied.output
    assert "uvicorn app_async.main:app --app-dir src" in applied.output
    written = sorted(str(p.relative_to(root)) for p in (root / "src" / "app_async").iterdir())
    assert written == ["src/app_async/__init__.py", "src/app_async/main.py",
                       "src/app_async/migrated.txt", "src/app_async/standalone.py"]
    assert not (root / "app_async").exists()
    served_side_by_side(root / "src", tmp_path, "app", "app_async.main", ("/ping?q=x",))
