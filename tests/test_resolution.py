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
