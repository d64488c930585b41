"""Apps that do work at import time: `verify` starts them the way their own tests do
(``--env``, a factory spec), and says in one line why one could not start."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from asyncify.cli import app
from asyncify.verify._servers import startup_failure

runner = CliRunner()

APP = '''\
import os

from flask import Flask

SECRET = os.environ["APP_SECRET"]  # read at import time, as many real apps do


def create_app():
    app = Flask(__name__)

    @app.get("/ping")
    def ping():
        return {"secret_length": len(SECRET)}

    return app
'''


def _project(tmp_path: Path) -> Path:
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "__init__.py").write_text("")
    (tmp_path / "svc" / "app.py").write_text(APP)
    return tmp_path


def test_missing_environment_variable_is_named_with_the_fix(tmp_path: Path) -> None:
    project = _project(tmp_path)
    result = runner.invoke(app, ["verify", str(project), "--legacy", "wsgi:svc.app:create_app()",
                                 "--candidate", "asgi:svc.app:create_app()",
                                 "--ready-path", "/ping"])
    assert result.exit_code == 2, result.output
    message = result.stderr.strip().splitlines()
    assert len(message) == 1
    assert "legacy exited with code 3 before serving: KeyError: 'APP_SECRET'" in message[0]
    assert "--env NAME=VALUE" in message[0]


def test_started_with_its_environment_it_verifies(tmp_path: Path) -> None:
    project = _project(tmp_path)
    result = runner.invoke(app, ["verify", str(project), "--legacy", "wsgi:svc.app:create_app()",
                                 "--candidate", "wsgi:svc.app:create_app()",
                                 "--ready-path", "/ping", "--env", "APP_SECRET=s3cret"])
    assert result.exit_code == 0, result.output
    assert "2 request(s) sent to both sides, 0 mismatch(es)" in result.output


def test_an_unimportable_module_points_at_the_spec(tmp_path: Path) -> None:
    project = _project(tmp_path)
    result = runner.invoke(app, ["verify", str(project), "--legacy", "asgi:svc.nowhere:app",
                                 "--candidate", "wsgi:svc.app:create_app()"])
    assert result.exit_code == 2
    assert 'Could not import module "svc.nowhere"' in result.stderr
    assert "check the app spec's module and the PYTHONPATH" in result.stderr


def test_the_last_traceback_wins() -> None:
    log = "\n".join([
        "[INFO] Booting worker",
        "Traceback (most recent call last):",
        '  File "a.py", line 1, in <module>',
        "ValueError: first",
        "Traceback (most recent call last):",
        '  File "b.py", line 2, in <module>',
        "    import nothing",
        "ModuleNotFoundError: No module named 'nothing'",
        "[ERROR] Worker failed to boot.",
    ])
    assert startup_failure(log).startswith("ModuleNotFoundError: No module named 'nothing' — ")
    assert startup_failure("[INFO] exiting") == "no traceback in its log"
