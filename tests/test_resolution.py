"""Qualified-name resolution, seen through the plan: each case is a Flask route whose helper
makes a blocking call in a different way; the plan must name the operation and its line."""

from __future__ import annotations

APP = """
from flask import Flask
from .views import view

app = Flask(__name__)
app.add_url_rule("/", view_func=view)
"""


def test_import_alias(write_project, planner):
    root = write_project({
        "pkg/__init__.py": APP,
        "pkg/views.py": """
            import requests as rq

            def view():
                return rq.get("http://upstream/").text
        """,
    })
    data = planner.plan(root)
    assert planner.operations(data, "pkg.views.view") == [("requests.get", "pkg/views.py", 4)]


def test_from_import_with_alias_and_relative_levels(write_project, planner):
    root = write_project({
        "pkg/__init__.py": APP,
        "pkg/views.py": """
            from .helpers.net import fetch as grab

            def view():
                return grab()
        """,
        "pkg/helpers/__init__.py": "",
        "pkg/helpers/net.py": """
            from requests import post as send
            from ..config import URL

            def fetch():
                return send(URL, json={})
        """,
        "pkg/config.py": "URL = 'http://upstream/'\n",
    })
    data = planner.plan(root)
    assert planner.operations(data, "pkg.views.view") == [
        ("requests.post", "pkg/helpers/net.py", 5)
    ]
    path = planner.endpoint(data, "pkg.views.view")["blocking"][0]["path"]
    assert [(s["function"], s["file"], s["line"]) for s in path] == [
        ("pkg.views.view", "pkg/views.py", 4),
        ("pkg.helpers.net.fetch", "pkg/helpers/net.py", 5),
    ]


def test_reexport_through_package_init(write_project, planner):
    root = write_project({
        "pkg/__init__.py": APP,
        "pkg/views.py": """
            from pkg.services import load_user

            def view():
                return load_user(1)
        """,
        "pkg/services/__init__.py": "from .users import load_user\n",
        "pkg/services/users.py": """
            import time

            def load_user(user_id):
                time.sleep(0.1)
                return {"id": user_id}
        """,
    })
    data = planner.plan(root)
    assert planner.operations(data, "pkg.views.view") == [
        ("time.sleep", "pkg/services/users.py", 4)
    ]


def test_module_attribute_chain(write_project, planner):
    root = write_project({
        "pkg/__init__.py": APP,
        "pkg/views.py": """
            import os.path
            import pkg.services.users

            def view():
                if os.path.exists("/tmp/flag"):
                    return "x"
                return pkg.services.users.load()
        """,
        "pkg/services/__init__.py": "",
        "pkg/services/users.py": """
            import subprocess

            def load():
                return subprocess.check_output(["id"])
        """,
    })
    data = planner.plan(root)
    assert planner.operations(data, "pkg.views.view") == [
        ("os.path.exists", "pkg/views.py", 5),
        ("subprocess.check_output", "pkg/services/users.py", 4),
    ]


def test_instance_attribute_holding_a_session(write_project, planner):
    root = write_project({
        "pkg/__init__.py": APP,
        "pkg/views.py": """
            from .clients import PricingClient

            pricing = PricingClient("http://pricing")

            def view():
                return pricing.quote(3)
        """,
        "pkg/clients.py": """
            import requests

            class PricingClient:
                def __init__(self, base):
                    self.base = base
                    self.session = requests.Session()

                def quote(self, n):
                    response = self.session.post(self.base, json={"n": n}, timeout=2)
                    response.raise_for_status()
                    return response.json()
        """,
    })
    data = planner.plan(root)
    assert planner.operations(data, "pkg.views.view") == [
        ("requests.Session.post", "pkg/clients.py", 9)
    ]
    convert = [s["function"] for s in planner.endpoint(data, "pkg.views.view")["convert"]]
    assert convert == ["pkg.views.view", "pkg.clients.PricingClient.quote"]


def test_subclass_of_external_session_and_super(write_project, planner):
    root = write_project({
        "pkg/__init__.py": APP,
        "pkg/views.py": """
            from requests import Session

            class TracingSession(Session):
                def request(self, method, url, **kw):
                    return super().request(method, url, **kw)

            def view():
                s = TracingSession()
                return s.get("http://upstream/").text
        """,
    })
    data = planner.plan(root)
    assert planner.operations(data, "pkg.views.view") == [("requests.Session.get", "pkg/views.py", 9)]


def test_cursor_from_contextmanager_and_global_pool(write_project, planner):
    root = write_project({
        "pkg/__init__.py": APP,
        "pkg/db.py": """
            from contextlib import contextmanager

            from psycopg2.extras import RealDictCursor
            from psycopg2.pool import ThreadedConnectionPool

            _pool = None

            def init_pool(dsn):
                global _pool
                _pool = ThreadedConnectionPool(1, 4, dsn)

            @contextmanager
            def cursor():
                conn = _pool.getconn()
                try:
                    with conn:
                        with conn.cursor(cursor_factory=RealDictCursor) as cur:
                            yield cur
                finally:
                    _pool.putconn(conn)
        """,
        "pkg/views.py": """
            from . import db

            def view():
                with db.cursor() as cur:
                    cur.execute("SELECT 1")
                    return cur.fetchone()
        """,
    })
    data = planner.plan(root)
    ops = planner.operations(data, "pkg.views.view")
    assert ("psycopg2.extensions.cursor.execute", "pkg/views.py", 5) in ops
    assert ("psycopg2.pool.AbstractConnectionPool.getconn", "pkg/db.py", 14) in ops
    assert all(b["confidence"] == "resolved"
               for b in planner.endpoint(data, "pkg.views.view")["blocking"])


def test_annotated_parameter(write_project, planner):
    root = write_project({
        "pkg/__init__.py": APP,
        "pkg/views.py": """
            import psycopg2
            from psycopg2.extensions import connection

            def count(conn: connection) -> int:
                with conn.cursor() as cur:
                    cur.execute("SELECT count(*) FROM t")
                    return cur.fetchone()[0]

            def view():
                return str(count(psycopg2.connect("")))
        """,
    })
    data = planner.plan(root)
    ops = [op for op, _, _ in planner.operations(data, "pkg.views.view")]
    assert ops == ["psycopg2.connect", "psycopg2.extensions.cursor.execute"]


def test_unknown_receiver_is_a_heuristic_match(write_project, planner):
    root = write_project({
        "pkg/__init__.py": APP,
        "pkg/views.py": """
            import psycopg2  # noqa: F401  (the project uses psycopg2 somewhere)

            def run(cur):
                cur.execute("SELECT 1")

            def view():
                return run(object())
        """,
    })
    data = planner.plan(root)
    blocking = planner.endpoint(data, "pkg.views.view")["blocking"]
    assert [(b["call"], b["confidence"]) for b in blocking] == [("cur.execute", "heuristic")]


def test_user_decorator_wrapper_runs_per_request(write_project, planner):
    root = write_project({
        "pkg/__init__.py": APP,
        "pkg/auth.py": """
            import functools
            import requests

            def require_user(view):
                @functools.wraps(view)
                def wrapper(*args, **kwargs):
                    requests.get("http://auth/check", timeout=1)
                    return view(*args, **kwargs)
                return wrapper
        """,
        "pkg/views.py": """
            from .auth import require_user

            @require_user
            def view():
                return "ok"
        """,
    })
    data = planner.plan(root)
    ops = planner.operations(data, "pkg.views.view")
    assert ops == [("requests.get", "pkg/auth.py", 7)]


def test_names_are_not_guessed(write_project, planner):
    """A local function named like a library call is not that call."""
    root = write_project({
        "pkg/__init__.py": APP,
        "pkg/views.py": """
            def get(url):
                return url

            class sleep:
                pass

            def view():
                sleep()
                return get("http://x")
        """,
    })
    data = planner.plan(root)
    assert planner.endpoint(data, "pkg.views.view")["blocking"] == []
    assert planner.endpoint(data, "pkg.views.view")["io"] is False


def test_nested_function_called_from_its_enclosing_function(write_project, planner):
    root = write_project({
        "pkg/__init__.py": APP,
        "pkg/views.py": """
            import requests

            def view():
                def load(path):
                    return requests.get("http://upstream" + path).json()

                return load("/a")
        """,
    })
    data = planner.plan(root)
    assert planner.operations(data, "pkg.views.view") == [("requests.get", "pkg/views.py", 5)]
    path = planner.endpoint(data, "pkg.views.view")["blocking"][0]["path"]
    assert [(s["function"], s["line"]) for s in path] == [
        ("pkg.views.view", 7),
        ("pkg.views.view.<locals>.load", 5),
    ]


def test_nested_function_seen_from_a_sibling_nested_function(write_project, planner):
    root = write_project({
        "pkg/__init__.py": APP,
        "pkg/views.py": """
            import time

            def view():
                def pause():
                    time.sleep(0.1)

                def work():
                    pause()
                    return "done"

                return work()
        """,
    })
    data = planner.plan(root)
    assert planner.operations(data, "pkg.views.view") == [("time.sleep", "pkg/views.py", 5)]
    # The call edge itself (await propagation needs it: work must await pause once it is async).
    from asyncify.api import analyse_project

    _, graph, _ = analyse_project(root, use_cache=False)
    calls = {(e.callee, e.line) for e in graph.edges["pkg.views.view.<locals>.work"]
             if e.kind == "call"}
    assert ("pkg.views.view.<locals>.pause", 8) in calls


def test_namespace_package_below_the_root(write_project, planner):
    """``backend/`` has no ``__init__.py`` and is imported as ``backend.api`` (the root is on
    sys.path); a script-style ``import helpers`` beside it still resolves."""
    root = write_project({
        "app.py": """
            from flask import Flask
            from backend.api import bp

            app = Flask(__name__)
            app.register_blueprint(bp)
        """,
        "backend/api.py": """
            from flask import Blueprint
            import helpers

            bp = Blueprint("api", __name__)

            @bp.get("/rates")
            def rates():
                return helpers.fetch()
        """,
        "backend/helpers.py": """
            import requests

            def fetch():
                return requests.get("http://upstream/").json()
        """,
    })
    data = planner.plan(root)
    assert planner.operations(data, "backend.api.rates") == [
        ("requests.get", "backend/helpers.py", 4)
    ]


def test_same_file_names_in_two_plain_directories_do_not_collide(write_project, planner):
    root = write_project({
        "pkg/__init__.py": APP,
        "pkg/views.py": "def view():\n    return 'ok'\n",
        "tests/conftest.py": "import pytest\n",
        "tests_http/conftest.py": "import pytest\n",
    })
    data = planner.plan(root)
    assert data["diagnostics"] == []


def test_package_inside_a_plain_directory(write_project, planner):
    """``backend/api/`` is a package inside the plain ``backend/``; the code imports it as
    ``backend.api`` and the plain module beside it as ``backend.db``."""
    root = write_project({
        "backend/api/__init__.py": """
            from flask import Flask

            app = Flask(__name__)

            from backend.api import routes
        """,
        "backend/api/routes.py": """
            from backend.api import app
            from backend.db import query

            @app.get("/courses")
            def courses():
                return query()
        """,
        "backend/db.py": """
            import requests

            def query():
                return requests.get("http://upstream/courses").json()
        """,
    })
    data = planner.plan(root)
    assert planner.operations(data, "api.routes.courses") == [
        ("requests.get", "backend/db.py", 4)
    ]


def test_star_import_of_a_project_module(write_project, planner):
    """``from .queries import *`` binds the module's public names (and what it imported)."""
    root = write_project({
        "pkg/__init__.py": APP,
        "pkg/views.py": """
            from .queries import *

            def view():
                return fetch_rates()
        """,
        "pkg/queries.py": """
            import requests

            def fetch_rates():
                return requests.get("http://fx/rates").json()

            def _private():
                return None
        """,
    })
    data = planner.plan(root)
    assert planner.operations(data, "pkg.views.view") == [("requests.get", "pkg/queries.py", 4)]


def test_psycopg3_is_database_io(write_project, planner):
    root = write_project({
        "pkg/__init__.py": APP,
        "pkg/views.py": """
            import psycopg
            from psycopg_pool import ConnectionPool

            pool = ConnectionPool("postgresql://db/app")

            def view():
                with psycopg.connect("postgresql://db/app") as conn:
                    conn.execute("SELECT 1")
                with pool.connection() as pooled:
                    return pooled.execute("SELECT 2").fetchone()
        """,
    })
    data = planner.plan(root)
    assert sorted(planner.operations(data, "pkg.views.view"), key=lambda op: op[2]) == [
        ("psycopg.connect", "pkg/views.py", 7),
        ("psycopg.Connection.execute", "pkg/views.py", 8),
        ("psycopg_pool.ConnectionPool.connection", "pkg/views.py", 9),
        ("psycopg.Connection.execute", "pkg/views.py", 10),
    ]
