"""The lazily built legacy request context (``asyncify.compat._flask_context``): a migrated
route served by ``combine`` answers as the legacy Flask app answers the same request — the
same views, run once by Flask through the a2wsgi mount and once as FastAPI routes inside the
legacy context — for every request-scoped thing a view or a hook can read or change: ``g``,
``request.endpoint``/``view_args``/``url_rule``/``blueprints``, ``url_for``, URL value
preprocessors, app and blueprint hooks (one answering early), ``after_this_request``,
``copy_current_request_context``, the session cookie, teardown functions (with the error) and
the 500 handler."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import httpx
import pytest
from fastapi import APIRouter
from flask import (
    Blueprint,
    Flask,
    after_this_request,
    copy_current_request_context,
    g,
    jsonify,
    request,
    session,
    url_for,
)
from flask.globals import _cv_request

from asyncify.compat import combine, flask_view

torn_down: list[tuple[str, str]] = []


def whoami() -> Any:
    return jsonify(rid=g.rid, endpoint=request.endpoint, args=request.args.to_dict(),
                   url=url_for("whoami", x=1), pre=g.get("pre"), blueprints=request.blueprints)


def item(item_id: int) -> Any:
    return jsonify(id=item_id, view_args=request.view_args, rule=request.url_rule.rule,
                   url=url_for("item", item_id=item_id + 1))


def stats() -> Any:
    return jsonify(blueprint=request.blueprint, blueprints=request.blueprints, rid=g.rid)


def count() -> Any:
    session["n"] = session.get("n", 0) + 1
    return jsonify(n=session["n"])


def later() -> Any:
    @after_this_request
    def mark(response: Any) -> Any:
        response.headers["X-Later"] = "1"
        return response

    return "later"


def copied() -> Any:
    seen: list[str] = []

    @copy_current_request_context
    def read() -> None:
        seen.append(f"{request.path} {request.headers.get('X-Request-Id')}")

    worker = threading.Thread(target=read)
    worker.start()
    worker.join()
    return jsonify(seen=seen)


def untouched() -> Any:
    """Neither this view nor the hooks of the plain app read the request: not built."""
    built = getattr(_cv_request.get(), "_asyncify_request", "flask")
    return jsonify(built=built is not None)


def boom() -> Any:
    raise ValueError("boom")


def bad_request_echo() -> Any:
    return jsonify(data=request.get_data(as_text=True), form=request.form.to_dict())


def _views() -> dict[str, Any]:
    return {"whoami": whoami, "item": item, "count": count, "later": later,
            "copied": copied, "boom": boom, "untouched": untouched, "echo": bad_request_echo}


def assign_rid() -> None:
    g.rid = request.headers.get("X-Request-Id", "anon")


def echo_rid(response: Any) -> Any:
    response.headers["X-Request-Id"] = g.get("rid", "")
    return response


def record_teardown(error: BaseException | None) -> None:
    torn_down.append((request.path, repr(error)))


def check_token() -> Any:
    if request.headers.get("X-Token") != "s3cret":
        return jsonify(error="unauthorized"), 401
    return None


def tag_admin(response: Any) -> Any:
    response.headers["X-Admin"] = "yes"
    return response


def legacy_app(*, hooks: bool, blueprint_hooks: bool, preprocessor: bool) -> Flask:
    app = Flask(__name__)
    app.secret_key = "not-so-secret"
    app.config["PROPAGATE_EXCEPTIONS"] = False
    if hooks:
        app.before_request(assign_rid)
        app.after_request(echo_rid)
        app.teardown_request(record_teardown)
    if preprocessor:
        app.url_value_preprocessor(lambda endpoint, values: g.setdefault("pre", endpoint))

    @app.errorhandler(500)
    def server_error(error: Any) -> Any:
        return jsonify(error="internal", original=repr(error.original_exception)), 500

    views = _views()
    app.add_url_rule("/whoami", "whoami", views["whoami"])
    app.add_url_rule("/items/<int:item_id>", "item", views["item"])
    app.add_url_rule("/count", "count", views["count"])
    app.add_url_rule("/later", "later", views["later"])
    app.add_url_rule("/copied", "copied", views["copied"])
    app.add_url_rule("/boom", "boom", views["boom"])
    app.add_url_rule("/untouched", "untouched", views["untouched"])
    app.add_url_rule("/echo", "echo", views["echo"], methods=["POST"])
    admin = Blueprint("admin", __name__)
    admin.add_url_rule("/stats", "stats", stats)
    if blueprint_hooks:
        admin.before_request(check_token)
        admin.after_request(tag_admin)
    app.register_blueprint(admin, url_prefix="/admin")
    return app


def migrated_router() -> APIRouter:
    router = APIRouter()
    views = _views()
    for path, name in (("/whoami", "whoami"), ("/items/{item_id:int}", "item"),
                       ("/count", "count"), ("/later", "later"), ("/copied", "copied"),
                       ("/boom", "boom"), ("/untouched", "untouched")):
        router.add_api_route(path, flask_view(views[name]), methods=["GET"], name=name)
    router.add_api_route("/echo", flask_view(views["echo"]), methods=["POST"], name="echo")
    router.add_api_route("/admin/stats", flask_view(stats), methods=["GET"],
                         name="admin.stats")
    return router


REQUESTS: list[tuple[str, str, dict[str, str], bytes]] = [
    ("GET", "/whoami?a=1&b=2", {"X-Request-Id": "r-1"}, b""),
    ("GET", "/whoami", {}, b""),
    ("GET", "/items/41", {"X-Request-Id": "r-2"}, b""),
    ("GET", "/admin/stats", {"X-Request-Id": "r-3"}, b""),
    ("GET", "/admin/stats", {"X-Request-Id": "r-4", "X-Token": "s3cret"}, b""),
    ("GET", "/count", {}, b""),
    ("GET", "/later", {}, b""),
    ("GET", "/copied", {"X-Request-Id": "r-5"}, b""),
    ("GET", "/boom", {"X-Request-Id": "r-6"}, b""),
    ("POST", "/echo", {"Content-Type": "application/x-www-form-urlencoded"}, b"a=1&b=two"),
]


async def _run(app: Any, cookies: dict[str, str]) -> list[tuple[int, Any, dict[str, str]]]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    out = []
    async with httpx.AsyncClient(transport=transport, base_url="http://shop.test") as client:
        for method, path, headers, body in REQUESTS:
            sent = {**headers, **({"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}
                                  if cookies else {})}
            response = await client.request(method, path, headers=sent, content=body)
            client.cookies.clear()
            kept = {k: v for k, v in response.headers.items()
                    if k.startswith("x-") or k in ("content-type", "vary")}
            if "set-cookie" in response.headers:
                kept["session"] = _session_value(response.headers["set-cookie"])
            out.append((response.status_code, response.content, kept))
    return out


def _session_value(set_cookie: str) -> str:
    """The session's content (the signature carries a timestamp)."""
    value = set_cookie.split(";", 1)[0].split("=", 1)[1]
    serializer = legacy_app(hooks=False, blueprint_hooks=False, preprocessor=False)
    loaded = serializer.session_interface.get_signing_serializer(serializer).loads(value)
    return repr(loaded)


@pytest.mark.parametrize(("hooks", "blueprint_hooks", "preprocessor"), [
    (True, False, False),   # app hooks only: run without asking for the URL match
    (True, True, False),    # blueprint hooks: Flask's own methods, blueprints matched
    (True, False, True),    # a URL value preprocessor: it reads the endpoint
    (False, False, False),  # no hooks at all
])
def test_migrated_routes_answer_as_the_legacy_app(hooks: bool, blueprint_hooks: bool,
                                                  preprocessor: bool) -> None:
    options = {"hooks": hooks, "blueprint_hooks": blueprint_hooks, "preprocessor": preprocessor}
    answers = {}
    teardowns = {}
    for side in ("legacy", "migrated"):
        torn_down.clear()
        routers = [(migrated_router(), "")] if side == "migrated" else []
        app = combine(legacy_app(**options), routers)
        answers[side] = asyncio.run(_run(app, {}))
        teardowns[side] = list(torn_down)
    for (method, path, _, _), legacy, migrated in zip(REQUESTS, answers["legacy"],
                                                     answers["migrated"], strict=True):
        if path == "/untouched":
            continue
        assert migrated == legacy, f"{method} {path}"
    assert teardowns["migrated"] == teardowns["legacy"]
    if hooks:
        assert ("/boom", "ValueError('boom')") in teardowns["migrated"]
        assert answers["migrated"][0][2]["x-request-id"] == "r-1"


def test_the_request_is_built_only_when_read() -> None:
    async def get(app: Any) -> Any:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://shop.test") as c:
            return (await c.get("/untouched")).json()

    plain = legacy_app(hooks=False, blueprint_hooks=False, preprocessor=False)
    assert asyncio.run(get(combine(plain, [(migrated_router(), "")]))) == {"built": False}
    hooked = legacy_app(hooks=True, blueprint_hooks=False, preprocessor=False)
    assert asyncio.run(get(combine(hooked, [(migrated_router(), "")]))) == {"built": True}


def test_a_session_cookie_sent_back_is_read_and_rewritten_alike() -> None:
    app = legacy_app(hooks=True, blueprint_hooks=False, preprocessor=False)
    serializer = app.session_interface.get_signing_serializer(app)
    assert serializer is not None
    cookie = {"session": serializer.dumps({"n": 41})}
    options = {"hooks": True, "blueprint_hooks": False, "preprocessor": False}
    legacy = asyncio.run(_run(combine(legacy_app(**options), []), cookie))
    migrated = asyncio.run(_run(combine(legacy_app(**options), [(migrated_router(), "")]),
                                cookie))
    count_at = [path for _, path, _, _ in REQUESTS].index("/count")
    assert migrated[count_at] == legacy[count_at]
    assert b'"n":42' in migrated[count_at][1]


def test_a_remembered_url_match_gives_each_request_its_own_view_args() -> None:
    """The i18n pattern: a blueprint's URL value preprocessor pops ``lang`` from the view
    arguments. The second request for the same path is matched from memory: it must see
    ``lang`` again, and another path its own."""

    def legacy() -> Flask:
        app = Flask(__name__)
        localized = Blueprint("localized", __name__, url_prefix="/<lang>")

        @localized.url_value_preprocessor
        def pull_lang(endpoint: str | None, values: dict[str, Any] | None) -> None:
            g.lang = (values or {}).pop("lang", None)

        localized.add_url_rule("/hello", "hello", hello)
        app.register_blueprint(localized)
        return app

    def hello() -> Any:
        return jsonify(lang=g.lang, view_args=request.view_args, endpoint=request.endpoint)

    router = APIRouter()
    router.add_api_route("/{lang}/hello", flask_view(hello), methods=["GET"],
                         name="localized.hello")

    async def run(app: Any) -> list[Any]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://shop.test") as c:
            return [(await c.get(path)).json() for path in ("/de/hello", "/de/hello",
                                                            "/fr/hello", "/de/hello")]

    legacy_answers = asyncio.run(run(combine(legacy(), [])))
    migrated_answers = asyncio.run(run(combine(legacy(), [(router, "")])))
    assert migrated_answers == legacy_answers
    assert [a["lang"] for a in migrated_answers] == ["de", "de", "fr", "de"]


def test_an_app_converter_runs_for_every_request() -> None:
    """An app's URL converter may load an object per request (``<user:user>``): its match is
    not remembered, so each request gets its own value, as under Flask."""
    from werkzeug.routing import BaseConverter

    loads: list[int] = []

    class Counted(BaseConverter):
        def to_python(self, value: str) -> Any:
            loads.append(1)
            return {"value": value, "load": len(loads)}

    def legacy() -> Flask:
        app = Flask(__name__)
        app.url_map.converters["counted"] = Counted
        app.add_url_rule("/c/<counted:thing>", "thing", thing)
        return app

    def thing(thing: Any) -> Any:
        return jsonify(seen=request.view_args["thing"]["load"])

    router = APIRouter()
    router.add_api_route("/c/{thing}", flask_view(lambda thing: jsonify(
        seen=request.view_args["thing"]["load"])), methods=["GET"], name="thing")

    async def run(app: Any) -> list[int]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://shop.test") as c:
            return [(await c.get("/c/x")).json()["seen"] for _ in range(3)]

    loads.clear()
    first = asyncio.run(run(combine(legacy(), [(router, "")])))
    assert first == [1, 2, 3]  # a new value per request, not the first one again
