"""`apply` on a project of several top-level packages (``web`` holding the app, ``api`` a
blueprint, ``lib`` a helper doing I/O): one twin package mirrors the first endpoint's
package and nests the others' twins (``web_async/api/routes.py``,
``web_async/lib/fetch.py``); a later run with ``--package`` merges into it. apply crashed on
the second package (``ValueError: 'api' is not in list``)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from asyncify.cli import app

runner = CliRunner()

FILES = {
    "web/__init__.py": "",
    "web/app.py": '''from flask import Flask, request

from api.routes import bp
from lib.fetch import fetch_text

app = Flask(__name__)
app.register_blueprint(bp, url_prefix="/api")


@app.route("/home")
def home():
    return {"home": fetch_text(request.args.get("url"))}
''',
    "api/__init__.py": "",
    "api/routes.py": '''from flask import Blueprint, request

from lib.fetch import fetch_text

bp = Blueprint("api", __name__)


@bp.route("/ping")
def ping():
    return {"ping": fetch_text(request.args.get("url"))}
''',
    "lib/__init__.py": "",
    "lib/fetch.py": '''import requests


def fetch_text(url):
    if not url:
        return None
    return requests.get(url, timeout=0.5).text
''',
}

PROBE = '''
import json
from asyncify.compat import asgi_client
from web.app import app as legacy
from web_async.main import app

migrated = asgi_client(app)
out = []
for path in ("/home", "/api/ping", "/api/nothing"):
    a, b = legacy.test_client().get(path), migrated.get(path)
    out.append([[a.status_code, a.get_data(as_text=True)], [b.status_code, b.text]])
print(json.dumps(out))
'''


def test_several_top_level_packages_share_one_twin_package(tmp_path: Path) -> None:
    for name, text in FILES.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    git = ["git", "-c", "user.email=t@t", "-c", "user.name=t"]
    for step in (["init", "-q"], ["add", "."], ["commit", "-qm", "legacy"]):
        subprocess.run([*git, *step], cwd=tmp_path, check=True)

    first = runner.invoke(app, ["apply", "web.app.home", "--root", str(tmp_path), "--write"])
    assert first.exit_code == 0, first.output
    subprocess.run([*git, "add", "."], cwd=tmp_path, check=True)
    subprocess.run([*git, "commit", "-qm", "home"], cwd=tmp_path, check=True)
    second = runner.invoke(app, ["apply", "api.routes.ping", "--package", "web_async",
                                 "--root", str(tmp_path), "--write"])
    assert second.exit_code == 0, second.output

    twins = sorted(str(p.relative_to(tmp_path)) for p in (tmp_path / "web_async").rglob("*.py"))
    assert twins == ["web_async/__init__.py", "web_async/api/__init__.py",
                     "web_async/api/routes.py", "web_async/app.py",
                     "web_async/lib/__init__.py", "web_async/lib/fetch.py",
                     "web_async/main.py", "web_async/standalone.py"]
    fetch = (tmp_path / "web_async" / "lib" / "fetch.py").read_text()
    assert "async def fetch_text(url):" in fetch
    routes = (tmp_path / "web_async" / "api" / "routes.py").read_text()
    assert "from web_async.lib.fetch import fetch_text" in routes
    assert "await fetch_text(" in routes
    for name, text in FILES.items():
        assert (tmp_path / name).read_text() == text  # legacy untouched

    probe = subprocess.run([sys.executable, "-c", PROBE], cwd=tmp_path, capture_output=True,
                           text=True, check=False)
    assert probe.returncode == 0, probe.stderr
    answers = json.loads(probe.stdout)
    assert [legacy[0] for legacy, _ in answers] == [200, 200, 404]
    for legacy, migrated in answers:
        assert migrated[0] == legacy[0]
        if legacy[0] == 200:
            assert json.loads(migrated[1]) == json.loads(legacy[1])
