"""When a client the legacy app creates is *not* adopted (its twin would not behave like the
legacy object), and what the twins do instead: its methods stay sync, as before adoption."""

from __future__ import annotations

from pathlib import Path

import pytest

from asyncify.api import apply_endpoints

CLIENT = '''import requests
from flask import current_app


class Client:
    def __init__(self, base):
        self.base = base
        self.session = requests.Session()
        self.token = None

    def fetch(self, path):
{fetch}

{extra}

def get_client() -> Client:
    return current_app.extensions["client"]
'''

VIEWS = '''from flask import Blueprint, jsonify

from . import client as client_module
from .client import get_client

bp = Blueprint("api", __name__)


def remember(client):
    return client.base


@bp.get("/item")
def item():
{view}
'''

FETCH = '''        response = self.session.get(self.base + path, timeout=5)
        return response.json()'''


def _twins(root: Path, fetch: str = FETCH, view: str = "    return jsonify(get_client()"
           ".fetch('/x'))", extra: str = "") -> dict[str, str]:
    (root / "proj").mkdir(parents=True)
    (root / "proj" / "__init__.py").write_text("")
    (root / "proj" / "client.py").write_text(CLIENT.format(fetch=fetch, extra=extra))
    (root / "proj" / "views.py").write_text(VIEWS.format(view=view))
    (root / "proj" / "app.py").write_text(
        "from flask import Flask\n\nfrom .client import Client\nfrom .views import bp\n\n\n"
        "def create_app():\n    app = Flask(__name__)\n"
        "    app.extensions['client'] = Client('http://upstream')\n"
        "    app.register_blueprint(bp)\n    return app\n")
    migration = apply_endpoints(["proj.views.item"], root=root)
    twins = {o.path: (o.new or b"").decode() for o in migration.outcomes}
    twins["reasons"] = next(o.reason for o in migration.outcomes
                            if o.path == "proj_async/main.py")
    return twins


def test_the_plain_case_is_adopted(tmp_path: Path) -> None:
    twins = _twins(tmp_path)
    assert twins["reasons"] == ""
    assert "class Client(proj.client.Client):" in twins["proj_async/client.py"]
    assert "return jsonify(await get_client().fetch('/x'))" in twins["proj_async/views.py"]


@pytest.mark.parametrize(("why", "kwargs"), [
    ("Client.fetch assigns self.token (line 12): the view would split the object's state",
     {"fetch": "        self.token = 'seen'\n" + FETCH}),
    ("Client.fetch does other I/O than a requests.Session (psycopg2.connect, line 13)",
     {"fetch": "        import psycopg2\n        return psycopg2.connect('dbname=x')"}),
    ("views.item calls get_client() other than by its name (line 15)",
     {"view": "    return jsonify(client_module.get_client().fetch('/x'))"}),
    ("views.item calls fetch() on something other than the getter's result kept in a local "
     "name (line 17)",
     {"view": "    client = get_client()\n    remember(client)\n"
              "    return jsonify(client.fetch('/x'))"}),
])
def test_not_adopted(tmp_path: Path, why: str, kwargs: dict[str, str]) -> None:
    twins = _twins(tmp_path, **kwargs)
    assert twins.pop("reasons") == (
        f" proj.client.Client keeps sync methods in the twins: the legacy app creates it, and "
        f"it is not adopted ({why})")
    case = why
    assert "adopt(" not in "".join(twins.values()), case
    assert "class Client(" not in twins.get("proj_async/client.py", ""), case
    assert "async def item" not in twins["proj_async/views.py"], case
