"""Endpoint discovery for flask-restx and Flask-RESTful ``Resource`` classes, ``MethodView``s
and views from other modules, checked against the real ``url_map``.

Each project is imported for real in a subprocess (the test runs its own fixture code;
asyncify never does). The documentation endpoints restx adds by itself (``specs``, ``doc``,
``root`` and the ``restx_doc`` static files) are not user code, so they are left out of
Flask's side of the comparison, like ``static``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

_DUMP = """
import importlib, json, sys
module, _, expr = sys.argv[1].partition(":")
app = eval(expr, vars(importlib.import_module(module)))
generated = {"static", "specs", "doc", "root"}
rules = []
for rule in app.url_map.iter_rules():
    if rule.endpoint.rpartition(".")[2] in generated or rule.endpoint.startswith("restx_doc."):
        continue
    methods = sorted(m for m in rule.methods if m not in ("HEAD", "OPTIONS"))
    rules.append([rule.rule, methods, rule.endpoint])
print(json.dumps(sorted(rules)))
"""


def flask_rules(root: Path, target: str) -> list[list[object]]:
    env = {**os.environ, "PYTHONPATH": str(root)}
    out = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", _DUMP, target], env=env, capture_output=True,
        text=True, check=True, timeout=60,
    )
    return json.loads(out.stdout)


def planned_rules(data: dict) -> list[list[object]]:
    return sorted(
        [e["path"], sorted(m for m in e["methods"] if m not in ("HEAD", "OPTIONS")), e["name"]]
        for e in data["endpoints"]
    )


RESTX = {
    "shop/__init__.py": """
        from flask import Blueprint, Flask

        from .apis import api
        from .legacy import legacy_api

        def create_app():
            app = Flask(__name__)
            blueprint = Blueprint("api", __name__)
            api.init_app(blueprint)
            app.register_blueprint(blueprint, url_prefix="/api/v1")
            legacy_api.init_app(app)
            return app
    """,
    "shop/apis/__init__.py": """
        from flask_restx import Api, Resource

        from .cats import ns as cats_ns
        from .dto import UserDto
        from . import users  # noqa: F401  (registers the user resources)

        api = Api(title="shop", doc="/docs")
        api.add_namespace(cats_ns)
        api.add_namespace(UserDto.api, path="/people")
        dogs = api.namespace("dogs", description="dogs")

        @dogs.route("/<int:dog_id>")
        class Dog(Resource):
            def get(self, dog_id):
                return {}

        @api.route("/health", "/healthz")
        class HealthCheck(Resource):
            def get(self):
                return {"ok": True}
    """,
    "shop/apis/cats.py": """
        import requests
        from flask_restx import Namespace, Resource

        ns = Namespace("cats", path="/felines/")

        @ns.route("/")
        class CatList(Resource):
            def get(self):
                return requests.get("http://127.0.0.1:9/cats").json()

            def post(self):
                return {}, 201

        @ns.route("/<string:name>", endpoint="one_cat")
        class Cat(Resource):
            def get(self, name):
                return {}

            def delete(self, name):
                return "", 204

        class CatPhoto(Resource):
            def put(self, name):
                return {}

        ns.add_resource(CatPhoto, "/<string:name>/photo")
    """,
    "shop/apis/dto.py": """
        from flask_restx import Namespace

        class UserDto:
            api = Namespace("user", description="user operations")
    """,
    "shop/apis/users.py": """
        import time

        from flask_restx import Resource

        from .dto import UserDto

        api = UserDto.api

        @api.route("/<int:user_id>")
        class UserItem(Resource):
            def get(self, user_id):
                time.sleep(0.01)
                return {}

            def patch(self, user_id):
                return {}
    """,
    "shop/legacy.py": """
        from flask_restful import Api, Resource

        legacy_api = Api(prefix="/legacy")

        class Order(Resource):
            methods = ["GET"]

            def get(self, order_id):
                return {}

            def delete(self, order_id):
                return "", 204

        legacy_api.add_resource(Order, "/orders/<int:order_id>", "/o/<int:order_id>")

        @legacy_api.resource("/ping")
        class Ping(Resource):
            def get(self):
                return "pong"
    """,
}


def test_restx_and_restful_resources_match_flask(write_project, planner):
    root = write_project(RESTX)
    data = planner.plan(root)
    assert planned_rules(data) == flask_rules(root, "shop:create_app()")
    assert data["diagnostics"] == []


def test_resource_methods_have_their_own_handlers_and_blocking_calls(write_project, planner):
    root = write_project(RESTX)
    data = planner.plan(root)
    by_name = {e["name"]: e for e in data["endpoints"]}
    cats = by_name["api.cats_cat_list"]
    assert cats["path"] == "/api/v1/felines/"
    assert cats["handlers"] == {
        "GET": "shop.apis.cats.CatList.get", "POST": "shop.apis.cats.CatList.post",
    }
    assert [b["operation"] for b in cats["blocking"]] == ["requests.get"]
    user = by_name["api.user_user_item"]
    assert user["path"] == "/api/v1/people/<int:user_id>"
    assert [b["operation"] for b in user["blocking"]] == ["time.sleep"]
    assert by_name["order"]["methods"] == ["GET"]
    assert by_name["order"]["handlers"] == {"GET": "shop.legacy.Order.get"}
    # One class on two urls: two endpoints, told apart by path in their ids.
    assert sorted(e["id"] for e in data["endpoints"] if e["name"] == "order") == [
        "shop.legacy.Order[/legacy/o/<int:order_id>]",
        "shop.legacy.Order[/legacy/orders/<int:order_id>]",
    ]


def test_module_level_restful_api_on_app_with_prefix(write_project, planner):
    root = write_project({
        "svc/__init__.py": """
            from flask import Flask
            from flask_restful import Api

            from .resources.todo import Todo, TodoList

            app = Flask(__name__)
            api = Api(app, prefix="/v2")
            api.add_resource(TodoList, "/todos", endpoint="todos")
            api.add_resource(Todo, "/todos/<todo_id>")
        """,
        "svc/resources/__init__.py": "",
        "svc/resources/todo.py": """
            from flask_restful import Resource

            from ..store import load

            class TodoList(Resource):
                def get(self):
                    return load()

                def post(self):
                    return {}, 201

            class Todo(Resource):
                def get(self, todo_id):
                    return load()[todo_id]

                def put(self, todo_id):
                    return {}
        """,
        "svc/store.py": """
            import psycopg2

            def load():
                with psycopg2.connect("dbname=test") as conn:
                    cur = conn.cursor()
                    cur.execute("SELECT 1")
                    return cur.fetchall()
        """,
    })
    data = planner.plan(root)
    assert planned_rules(data) == flask_rules(root, "svc:app")
    todo = next(e for e in data["endpoints"] if e["name"] == "todo")
    assert todo["path"] == "/v2/todos/<todo_id>"
    assert todo["handlers"]["PUT"] == "svc.resources.todo.Todo.put"
    assert "psycopg2.extensions.cursor.execute" in {b["operation"] for b in todo["blocking"]}


def test_restx_api_on_app_in_a_factory(write_project, planner):
    root = write_project({
        "svc.py": """
            from flask import Flask
            from flask_restx import Api, Namespace, Resource

            ns = Namespace("items")

            @ns.route("")
            class Items(Resource):
                def get(self):
                    return []

            @ns.route("/<int:item_id>")
            class Items2(Resource):
                def get(self, item_id):
                    return {}

            def create_app():
                app = Flask(__name__)
                api = Api(app, prefix="/api", doc=False)
                api.add_namespace(ns)
                api.add_resource(Status, "/status")
                return app

            class Status(Resource):
                def get(self):
                    return {}
        """,
    })
    data = planner.plan(root)
    assert planned_rules(data) == flask_rules(root, "svc:create_app()")


def test_views_from_other_modules_and_view_classes(write_project, planner):
    root = write_project({
        "web/__init__.py": """
            from flask import Flask

            from . import handlers
            from .handlers import Report
            from .nested import outer

            def create_app():
                app = Flask(__name__)
                app.add_url_rule("/a", view_func=handlers.a)
                app.add_url_rule("/b/<path:rest>", "bee", handlers.b, methods=["POST"])
                app.add_url_rule("/report", view_func=Report.as_view("report"))
                app.register_blueprint(outer, url_prefix="/o")
                return app
        """,
        "web/handlers.py": """
            from flask.views import View

            def a():
                return "a"

            def b(rest):
                return rest

            class Report(View):
                methods = ["GET", "POST"]

                def dispatch_request(self):
                    return "report"
        """,
        "web/nested.py": """
            from flask import Blueprint
            from flask.views import MethodView

            outer = Blueprint("outer", __name__)
            inner = Blueprint("inner", __name__, url_prefix="/in")

            class Thing(MethodView):
                def get(self):
                    return ""

                def post(self):
                    return ""

            class SubThing(Thing):
                def put(self):
                    return ""

            inner.add_url_rule("/thing", view_func=Thing.as_view("thing"))
            inner.add_url_rule("/sub", view_func=SubThing.as_view("sub"))
            outer.register_blueprint(inner)
        """,
    })
    data = planner.plan(root)
    assert planned_rules(data) == flask_rules(root, "web:create_app()")
    sub = next(e for e in data["endpoints"] if e["name"] == "outer.inner.sub")
    assert sub["handlers"] == {
        "GET": "web.nested.Thing.get", "POST": "web.nested.Thing.post",
        "PUT": "web.nested.SubThing.put",
    }


def test_namespace_never_added_is_reported(write_project, planner):
    root = write_project({
        "svc.py": """
            from flask import Flask
            from flask_restx import Api, Namespace, Resource

            app = Flask(__name__)
            api = Api(app)
            lost = Namespace("lost")

            @lost.route("/x")
            class X(Resource):
                def get(self):
                    return {}
        """,
    })
    data = planner.plan(root)
    assert data["endpoints"] == []
    assert [d["message"] for d in data["diagnostics"]] == [
        "namespace 'lost' (svc.lost) is never added to an Api; its 1 resource(s) are not served"
    ]


def test_registrations_in_helpers_and_outside_the_factory(write_project, planner):
    root = write_project({
        "svc/__init__.py": """
            from flask import Flask

            def create_app():
                app = Flask(__name__)
                _register(app)
                return app

            def _register(app: Flask):
                from .views import bp
                Setup().install(app, bp)

            class Setup:
                def install(self, target, blueprint):
                    target.register_blueprint(blueprint, url_prefix="/v1")
        """,
        "svc/views.py": """
            from flask import Blueprint

            bp = Blueprint("views", __name__)
            extra = Blueprint("extra", __name__)

            @bp.route("/a")
            def a():
                return ""

            @extra.route("/b")
            def b():
                return ""
        """,
        "wsgi.py": """
            from svc import create_app
            from svc.views import extra

            app = create_app()
            app.register_blueprint(extra, url_prefix="/x")
        """,
    })
    data = planner.plan(root)
    assert planned_rules(data) == flask_rules(root, "wsgi:app")
    assert data["diagnostics"] == []


def test_api_handed_to_a_helper_with_computed_paths(write_project, planner):
    # One namespace served by two apis (the app's and a blueprint's), wired by a helper whose
    # paths are built from its parameter; stacked routes get restx's ``_2`` names bottom-up.
    root = write_project({
        "svc/__init__.py": """
            from flask import Blueprint, Flask
            from flask_restx import Api

            from .routes import Router

            v1 = Blueprint("v1", __name__, url_prefix="/v1")
            Router().draw(Api(v1, doc=False))

            def create_app():
                app = Flask(__name__)
                app.register_blueprint(v1)
                Router().draw(Api(app, doc=False), prefix="/v1")
                return app
        """,
        "svc/routes.py": """
            from .things import ns, others

            class Router:
                def draw(self, api, prefix=""):
                    api.add_namespace(ns, path=prefix + "/things")
                    api.add_namespace(others, f"{prefix}/others")
        """,
        "svc/things.py": """
            from flask_restx import Namespace, Resource

            ns = Namespace("things")

            @ns.route("/")
            @ns.route("")
            class Things(Resource):
                def get(self):
                    return []

            others = Namespace("others")

            @others.route("/<int:other_id>")
            class Other(Resource):
                def delete(self, other_id):
                    return "", 204
        """,
    })
    data = planner.plan(root)
    assert planned_rules(data) == flask_rules(root, "svc:create_app()")
    assert data["diagnostics"] == []


def test_resource_endpoints_are_marked(write_project):
    # A Resource class is not a view function: `apply ENDPOINT` needs to tell it apart.
    from asyncify._endpoints import discover_endpoints
    from asyncify.api import analyse_project

    root = write_project({
        "svc.py": """
            from flask import Blueprint, Flask
            from flask_restful import Api, Resource

            bp = Blueprint("bp", __name__)
            api = Api(bp)

            @bp.route("/plain")
            def plain():
                return ""

            class Thing(Resource):
                def get(self):
                    return {}

            api.add_resource(Thing, "/thing")
            app = Flask(__name__)
            app.register_blueprint(bp)
        """,
    })
    _, graph, _ = analyse_project(root, use_cache=False)
    endpoints, _ = discover_endpoints(graph.resolver)
    kinds = {e.name: (e.owner_kind, e.owner, e.view) for e in endpoints}
    assert kinds == {
        "bp.plain": ("blueprint", "svc.bp", "svc.plain"),
        "bp.thing": ("resource", "svc.bp", "svc.Thing"),
    }
