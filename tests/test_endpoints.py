"""Endpoint discovery: every registration form, checked against Flask's own ``url_map``.

Each project is also imported for real in a subprocess (the tests may run our own fixture
code; asyncify itself never does), so a discovery bug shows up as a difference from Flask.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

_DUMP = """
import importlib, json, sys
module, _, expr = sys.argv[1].partition(":")
app = eval(expr, vars(importlib.import_module(module)))
rules = []
for rule in app.url_map.iter_rules():
    if rule.endpoint == "static":
        continue
    methods = sorted(m for m in rule.methods if m not in ("HEAD", "OPTIONS"))
    rules.append([rule.rule, methods, rule.endpoint])
print(json.dumps(sorted(rules)))
"""


def flask_rules(root: Path, target: str) -> list[list[object]]:
    env = {**os.environ, "PYTHONPATH": str(root)}
    out = subprocess.run(
        [sys.executable, "-c", _DUMP, target], env=env, capture_output=True, text=True,
        check=True, timeout=60,
    )
    return json.loads(out.stdout)


def planned_rules(data: dict) -> list[list[object]]:
    return sorted(
        [e["path"], sorted(m for m in e["methods"] if m not in ("HEAD", "OPTIONS")), e["name"]]
        for e in data["endpoints"]
    )


FORMS = {
    "app/__init__.py": """
        from flask import Flask

        from .api import api
        from .api.books import books
        from .views import ItemView, ping

        def create_app():
            app = Flask(__name__)
            app.register_blueprint(api, url_prefix="/api")
            app.register_blueprint(books, url_prefix="/v2/books", name="books_v2")
            app.add_url_rule("/ping", view_func=ping)
            app.add_url_rule("/items/<int:item_id>", view_func=ItemView.as_view("item"))
            app.add_url_rule("/ping2", "pong", ping, methods=["GET", "POST"])

            @app.route("/health")
            def health():
                return "ok"

            @app.route("/", methods=["GET", "POST"], endpoint="home")
            def index():
                return "home"

            return app
    """,
    "app/api/__init__.py": """
        from flask import Blueprint

        from .books import books

        api = Blueprint("api", __name__, url_prefix="/ignored")
        api.register_blueprint(books)

        @api.get("/status")
        def status():
            return {"ok": True}
    """,
    "app/api/books.py": """
        from flask import Blueprint

        books = Blueprint("books", __name__, url_prefix="/books")

        @books.route("/")
        def list_books():
            return []

        @books.post("/")
        def create_book():
            return {}, 201

        @books.route("/<int:book_id>", methods=["PUT", "PATCH"])
        def update_book(book_id):
            return {}

        @books.delete("/<int:book_id>")
        def delete_book(book_id):
            return "", 204
    """,
    "app/views.py": """
        from flask.views import MethodView

        def ping():
            return "pong"

        class ItemView(MethodView):
            def get(self, item_id):
                return {}

            def delete(self, item_id):
                return "", 204
    """,
}


def test_every_registration_form_matches_flask(write_project, planner):
    root = write_project(FORMS)
    data = planner.plan(root)
    assert planned_rules(data) == flask_rules(root, "app:create_app()")
    assert data["diagnostics"] == []


def test_nested_blueprint_paths_and_names(write_project, planner):
    root = write_project(FORMS)
    data = planner.plan(root)
    by_name = {e["name"]: e for e in data["endpoints"]}
    assert by_name["api.books.update_book"]["path"] == "/api/books/<int:book_id>"
    assert by_name["api.books.update_book"]["methods"] == ["PUT", "PATCH"]
    assert by_name["books_v2.list_books"]["path"] == "/v2/books/"
    assert by_name["item"]["handlers"] == {
        "GET": "app.views.ItemView.get", "DELETE": "app.views.ItemView.delete",
    }
    assert by_name["home"]["id"] == "app.create_app.<locals>.index"


def test_module_level_app_with_hooks(write_project, planner):
    root = write_project({
        "svc.py": """
            import time

            from flask import Blueprint, Flask

            app = Flask(__name__)
            admin = Blueprint("admin", __name__, url_prefix="/admin")

            @app.before_request
            def load_user():
                time.sleep(0.01)

            @admin.before_request
            def require_admin():
                return None

            @admin.route("/stats")
            def stats():
                return {}

            @app.route("/")
            def index():
                return "hi"

            app.register_blueprint(admin)
        """,
    })
    data = planner.plan(root)
    assert planned_rules(data) == flask_rules(root, "svc:app")
    stats = planner.endpoint(data, "svc.stats")
    assert stats["hooks"] == ["svc.load_user", "svc.require_admin"]
    assert [(b["operation"], b["via_hook"]) for b in stats["blocking"]] == [
        ("time.sleep", "svc.load_user")
    ]
    assert planner.endpoint(data, "svc.index")["hooks"] == ["svc.load_user"]


def test_unregistered_blueprint_and_dynamic_rule_are_reported(write_project, planner):
    root = write_project({
        "svc.py": """
            from flask import Blueprint, Flask

            app = Flask(__name__)
            orphan = Blueprint("orphan", __name__)

            @orphan.route("/never")
            def never():
                return ""

            for name in ("a", "b"):
                app.add_url_rule("/" + name, name, lambda: name)

            def view():
                return ""

            PREFIX = "/x"
            app.add_url_rule(PREFIX + "/view", view_func=view)
        """,
    })
    data = planner.plan(root)
    messages = [d["message"] for d in data["diagnostics"]]
    assert any("never registered" in m and "'orphan'" in m for m in messages)
    assert any("not a string literal" in m for m in messages)
    assert [e["path"] for e in data["endpoints"]] == ["<dynamic>"]
    assert data["endpoints"][0]["dynamic"] is True


@pytest.mark.parametrize("decorator", ["get", "post", "put", "patch", "delete"])
def test_method_shortcuts(write_project, planner, decorator):
    root = write_project({
        "svc.py": f"""
            from flask import Flask

            app = Flask(__name__)

            @app.{decorator}("/thing")
            def thing():
                return ""
        """,
    })
    data = planner.plan(root)
    assert data["endpoints"][0]["methods"] == [decorator.upper()]
    assert planned_rules(data) == flask_rules(root, "svc:app")
