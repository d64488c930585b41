"""`apply` on a class-based view the rewrite cannot route (its ``methods`` is computed): the
twin keeps the class, the endpoint is reported as staying on the legacy app, and the
standalone entry point serves it through its legacy view function, listed as such."""

from __future__ import annotations

import subprocess
from pathlib import Path

from typer.testing import CliRunner

from asyncify.cli import app

runner = CliRunner()

VIEWS = '''from flask import Blueprint
from flask.views import MethodView

bp = Blueprint("things", __name__)
VERBS = ["GET"]


class ThingAPI(MethodView):
    methods = VERBS

    def get(self, thing_id):
        return {"id": thing_id}


bp.add_url_rule("/<int:thing_id>", view_func=ThingAPI.as_view("thing"))
'''

APP = '''from flask import Flask

from .views import bp


def create_app():
    app = Flask(__name__)
    app.register_blueprint(bp, url_prefix="/things")
    return app
'''


def test_unroutable_class_view_stays_on_the_legacy_app(tmp_path: Path) -> None:
    root = tmp_path / "p"
    (root / "proj").mkdir(parents=True)
    (root / "proj" / "__init__.py").write_text("")
    (root / "proj" / "views.py").write_text(VIEWS)
    (root / "proj" / "app.py").write_text(APP)
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    applied = runner.invoke(app, ["apply", "things.thing", "--root", str(root), "--write",
                                  "--allow-dirty"])
    assert applied.exit_code == 0, applied.output
    assert "ThingAPI stays on the legacy app (a class-based view the rewrite could not " \
           "route" in applied.stderr
    twin = (root / "proj_async" / "views.py").read_text()
    assert "class ThingAPI(MethodView):" in twin  # still a Flask view, not routed
    assert "add_url_rule" not in twin and "add_api_route" not in twin
    standalone = (root / "proj_async" / "standalone.py").read_text()
    assert "- GET /things/<int:thing_id> (proj.views.ThingAPI)" in standalone
    assert 'legacy_views=["things.thing"]' in standalone
