"""`apply` refuses what its entry points could not serve, with a one-line message and nothing
written: a flask-restx / Flask-RESTful ``Resource`` endpoint (the library calls its methods
itself), and a legacy app factory with required parameters unless ``[tool.asyncify] factory``
says how to call it; with that setting the entry points make that call and serve."""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx
from typer.testing import CliRunner

from asyncify import verify
from asyncify.cli import app

runner = CliRunner()

RESOURCE_APP = '''from flask import Flask
from flask_restful import Api, Resource

app = Flask(__name__)
api = Api(app)


class Hello(Resource):
    def get(self):
        return {"hello": "world"}


api.add_resource(Hello, "/hello")
'''

VIEWS = '''from flask import Blueprint, current_app

bp = Blueprint("views", __name__)


@bp.get("/env")
def env():
    return {"env": current_app.config["ENV_NAME"]}


@bp.get("/legacy")
def legacy():
    return {"legacy": current_app.config["ENV_NAME"]}
'''

FACTORY = '''from flask import Flask


def create_app(config_name, *, debug=False):
    app = Flask(__name__)
    app.config["ENV_NAME"] = config_name
    from .views import bp
    app.register_blueprint(bp)
    return app
'''


def project(root: Path, files: dict[str, str], pyproject: str = "") -> Path:
    (root / "proj").mkdir(parents=True)
    (root / "proj" / "__init__.py").write_text("")
    for name, text in files.items():
        (root / "proj" / name).write_text(text)
    if pyproject:
        (root / "pyproject.toml").write_text(pyproject)
    git = ["git", "-c", "user.email=t@t", "-c", "user.name=t"]
    subprocess.run([*git, "init", "-q"], cwd=root, check=True)
    subprocess.run([*git, "add", "."], cwd=root, check=True)
    subprocess.run([*git, "commit", "-qm", "legacy"], cwd=root, check=True)
    return root


def _refused(root: Path, endpoint: str) -> str:
    refused = runner.invoke(app, ["apply", endpoint, "--root", str(root), "--write"])
    assert refused.exit_code == 2, refused.output
    assert not (root / "proj_async").exists()
    message = refused.stderr.strip()
    assert len(message.splitlines()) == 1, message
    return message


def test_a_resource_endpoint_is_refused(tmp_path: Path) -> None:
    root = project(tmp_path / "p", {"app.py": RESOURCE_APP})
    message = _refused(root, "hello")
    assert "endpoint 'proj.app.Hello' (proj/app.py:8) is served by the REST Resource class " \
        "proj.app.Hello" in message
    assert "stays served by the legacy app" in message
    assert "rewrite it as an @app.route/@bp.route function or a MethodView" in message


def test_a_factory_with_required_parameters_is_refused_without_configuration(
        tmp_path: Path) -> None:
    root = project(tmp_path / "p", {"app.py": FACTORY, "views.py": VIEWS})
    message = _refused(root, "views.env")
    assert "the legacy app factory proj.app.create_app (proj/app.py:4) requires config_name" \
        in message
    assert "set [tool.asyncify] factory = \"create_app('...')\" in pyproject.toml" in message


def test_a_configured_call_naming_another_function_is_refused(tmp_path: Path) -> None:
    root = project(tmp_path / "p", {"app.py": FACTORY, "views.py": VIEWS},
                   '[tool.asyncify]\nfactory = "make_app(\'prod\')"\n')
    message = _refused(root, "views.env")
    assert "calls 'make_app', but the legacy app is built by proj.app.create_app" in message


def test_a_factory_setting_that_is_no_call_is_a_config_error(tmp_path: Path) -> None:
    root = project(tmp_path / "p", {"app.py": FACTORY, "views.py": VIEWS},
                   '[tool.asyncify]\nfactory = "create_app("\n')
    refused = runner.invoke(app, ["apply", "views.env", "--root", str(root), "--write"])
    assert refused.exit_code != 0
    assert "[tool.asyncify] factory must be a call of the app factory by its name" \
        in refused.stderr
    assert not (root / "proj_async").exists()


def test_the_configured_factory_call_builds_the_legacy_app(tmp_path: Path) -> None:
    root = project(tmp_path / "p", {"app.py": FACTORY, "views.py": VIEWS},
                   '[tool.asyncify]\nfactory = "create_app(\'staging\', debug=True)"\n')
    applied = runner.invoke(app, ["apply", "views.env", "--root", str(root), "--write"])
    assert applied.exit_code == 0, applied.output
    for entry in ("main.py", "standalone.py"):
        assert "create_app('staging', debug=True)" in (root / "proj_async" / entry).read_text()
    migrated = verify.start_app(verify.AppSpec.parse("asgi:proj_async.main:app"), app_dir=root,
                                env={}, log_dir=tmp_path, name="migrated")
    with migrated, httpx.Client(timeout=10) as http:
        migrated.wait_ready("/legacy")
        # The migrated route (its twin) and a legacy one both see the configured app.
        assert http.get(migrated.url + "/env").json() == {"env": "staging"}
        assert http.get(migrated.url + "/legacy").json() == {"legacy": "staging"}
