"""Constructs that stop ``await`` from propagating on its own are reported as manual work,
located, and push the endpoint into wave 3; CPU-heavy code is a hint, not I/O."""

from __future__ import annotations

APP = """
from flask import Flask
from . import views

app = Flask(__name__)
app.add_url_rule("/cached", view_func=views.cached)
app.add_url_rule("/sorted", view_func=views.by_price)
app.add_url_rule("/stream", view_func=views.stream)
app.add_url_rule("/dispatch", view_func=views.dispatch)
app.add_url_rule("/prop", view_func=views.prop)
app.add_url_rule("/hash", view_func=views.hash_password)
app.add_url_rule("/plain", view_func=views.plain)
"""

VIEWS = """
import functools
import hashlib
import threading

import requests


@functools.lru_cache(maxsize=64)
def rates():
    return requests.get("http://fx/rates", timeout=2).json()


def cached():
    return rates()


def price(item):
    return requests.get(f"http://pricing/{item}", timeout=2).json()["price"]


def by_price():
    return sorted(["a", "b"], key=price)


def lines():
    response = requests.get("http://feed/", stream=True, timeout=2)
    yield from response.iter_lines()


def stream():
    return "".join(lines())


class Handlers:
    def on_ping(self):
        return requests.get("http://ping/", timeout=1).text


def dispatch():
    return getattr(Handlers(), "on_ping")()


class Account:
    @property
    def balance(self):
        return requests.get("http://bank/balance", timeout=1).json()

    def report(self):
        return self.balance


def prop():
    return Account().report()


def hash_password():
    return hashlib.pbkdf2_hmac("sha256", b"pw", b"salt", 100_000).hex()


def notify():
    requests.post("http://hooks/", timeout=1)


def plain():
    threading.Thread(target=notify).start()
    return requests.get("http://plain/", timeout=1).text
"""


def manual_kinds(planner, data, ident):
    return sorted({m["kind"] for m in planner.endpoint(data, ident)["manual"]})


def test_each_construct_is_reported(write_project, planner):
    root = write_project({"pkg/__init__.py": APP, "pkg/views.py": VIEWS})
    data = planner.plan(root)
    assert manual_kinds(planner, data, "pkg.views.cached") == ["cache"]
    assert manual_kinds(planner, data, "pkg.views.by_price") == ["callback"]
    assert manual_kinds(planner, data, "pkg.views.stream") == ["generator"]
    assert manual_kinds(planner, data, "pkg.views.dispatch") == ["dynamic-dispatch"]
    assert manual_kinds(planner, data, "pkg.views.prop") == ["property"]
    for ident in ("pkg.views.cached", "pkg.views.by_price", "pkg.views.stream",
                  "pkg.views.prop"):
        endpoint = planner.endpoint(data, ident)
        assert (endpoint["wave"], endpoint["verdict"]) == (3, "needs manual work"), ident
    dispatch = planner.endpoint(data, "pkg.views.dispatch")
    assert (dispatch["io"], dispatch["wave"]) == (False, 3)
    assert dispatch["verdict"].startswith("check by hand")


def test_callback_is_located_at_the_call_that_passes_it(write_project, planner):
    root = write_project({"pkg/__init__.py": APP, "pkg/views.py": VIEWS})
    data = planner.plan(root)
    by_price = planner.endpoint(data, "pkg.views.by_price")
    [callback] = by_price["manual"]
    assert (callback["function"], callback["file"], callback["line"]) == (
        "pkg.views.by_price", "pkg/views.py", 22)
    # sorted() calls price: its I/O is on the request path.
    assert [b["operation"] for b in by_price["blocking"]] == ["requests.get"]
    assert by_price["blocking"][0]["path"][0]["function"] == "pkg.views.by_price"
    # A thread target is a callback too, and its I/O is reported on the endpoint.
    plain = planner.endpoint(data, "pkg.views.plain")
    assert [m["kind"] for m in plain["manual"]] == ["callback"]
    assert sorted(b["operation"] for b in plain["blocking"]) == ["requests.get", "requests.post"]


def test_cpu_work_is_a_hint_not_io(write_project, planner):
    root = write_project({"pkg/__init__.py": APP, "pkg/views.py": VIEWS})
    data = planner.plan(root)
    endpoint = planner.endpoint(data, "pkg.views.hash_password")
    assert endpoint["io"] is False
    assert [h["kind"] for h in endpoint["cpu_hints"]] == ["cpu-call"]
    assert endpoint["verdict"] == "no benefit: no I/O, CPU-bound"


def test_registering_a_view_is_not_a_callback(write_project, planner):
    root = write_project({"pkg/__init__.py": APP, "pkg/views.py": VIEWS})
    data = planner.plan(root)
    callbacks = {m["function"] for e in data["endpoints"] for m in e["manual"]
                 if m["kind"] == "callback"}
    # Only the sorted(key=) and Thread(target=) call sites: add_url_rule(view_func=) is not.
    assert callbacks == {"pkg.views.by_price", "pkg.views.plain"}


def test_an_extension_cache_decorator_is_manual_work_and_keeps_the_view_sync(
        write_project, planner):
    """``cache = Cache(app)`` (Flask-Caching, whose types the index does not know) and
    ``@cache.cached(timeout=60)``/``@cache.memoize()`` on a view doing I/O: the decorator
    stores what the view returns, a coroutine once it is async (every migrated request
    failed). It is manual work, and ``apply`` keeps the view's ``def``."""
    app = ("import requests\nfrom flask import Flask\nfrom flask_caching import Cache\n\n"
           "app = Flask(__name__)\ncache = Cache(app)\n\n\n"
           "@app.route('/c')\n@cache.cached(timeout=60)\ndef c():\n"
           "    return requests.get('http://fx/rates', timeout=2).json()\n\n\n"
           "@app.route('/m')\n@cache.memoize(50)\ndef m():\n"
           "    return requests.get('http://fx/rates', timeout=2).json()\n")
    root = write_project({"pkg/__init__.py": app})
    data = planner.plan(root)
    assert manual_kinds(planner, data, "pkg.c") == ["cache"]
    assert manual_kinds(planner, data, "pkg.m") == ["cache"]
