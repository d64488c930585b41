"""The runtime helpers migrated suites call (asyncify.compat, module _testing): the router
that answers httpx and requests alike, Flask's response semantics, the sync ASGI client."""

from __future__ import annotations

import unittest

import httpx
import pytest
import requests
import respx
from fastapi import FastAPI
from fastapi.responses import PlainTextResponse, RedirectResponse
from flask import Flask, Response, current_app, g, redirect, url_for
from httmock import urlmatch
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from asyncify.compat import (
    LegacyOnlyWarning,
    asgi_client,
    assert_redirects,
    combined_app,
    httmock_router,
    http_mock,
    is_json,
    json_or_none,
    mimetype,
    request_context,
)


def test_one_route_answers_httpx_and_requests() -> None:
    with http_mock:
        route = http_mock.get("http://up.test/a").respond(
            201, json={"x": 1}, headers={"X-A": "1"})
        via_requests = requests.get("http://up.test/a", params={"q": "1"}, timeout=1)
        with httpx.Client() as client:
            via_httpx = client.get("http://up.test/a")
    assert (via_requests.status_code, via_requests.json()) == (201, {"x": 1})
    assert via_requests.headers["X-A"] == "1"
    assert (via_httpx.status_code, via_httpx.json()) == (201, {"x": 1})
    assert route.call_count == 2
    # Stopped: nothing is patched any more.
    assert requests.adapters.HTTPAdapter.send.__module__ == "requests.adapters"


@pytest.mark.parametrize(("raised", "expected"), [
    (httpx.ConnectTimeout, requests.exceptions.ConnectTimeout),
    (httpx.ReadTimeout, requests.exceptions.ReadTimeout),
    (httpx.ConnectError, requests.exceptions.ConnectionError),
])
def test_httpx_errors_reach_requests_as_requests_errors(raised, expected) -> None:
    with http_mock:
        http_mock.get("http://up.test/t").mock(side_effect=raised)
        with pytest.raises(expected):
            requests.get("http://up.test/t", timeout=1)


def test_a_sessions_retry_still_applies() -> None:
    session = requests.Session()
    session.mount("http://", HTTPAdapter(max_retries=Retry(
        total=2, status_forcelist=(503,), backoff_factor=0, allowed_methods={"GET"})))
    with http_mock, session:
        route = http_mock.get("http://up.test/busy").respond(503)
        with pytest.raises(requests.exceptions.RetryError):
            session.get("http://up.test/busy", timeout=1)
    assert route.call_count == 3


def test_unmatched_requests_fail_the_test() -> None:
    with http_mock(assert_all_called=False), pytest.raises(respx.models.AllMockedAssertionError):
        requests.get("http://up.test/nothing", timeout=1)


def test_httmock_handlers_answer_through_respx() -> None:
    @urlmatch(netloc=r"up\.test", path="/x")
    def handler(url, request):
        assert request.method == "POST" and request.body == b"hi"
        return {"status_code": 418, "content": {"e": url.query}}

    with httmock_router(handler):
        answer = requests.post("http://up.test/x?k=v", data=b"hi", timeout=1)
        with pytest.raises(respx.models.AllMockedAssertionError):
            requests.get("http://up.test/y", timeout=1)
    assert answer.status_code == 418
    assert answer.json() == {"e": "k=v"}


def test_flask_response_semantics() -> None:
    text = httpx.Response(200, text="hi", headers={"Content-Type": "Text/Plain; charset=x"})
    problem = httpx.Response(400, content=b'{"a": 1}',
                             headers={"Content-Type": "application/problem+json"})
    assert json_or_none(text) is None and not is_json(text)
    assert mimetype(text) == "text/plain"
    assert json_or_none(problem) == {"a": 1} and is_json(problem)


def _asgi() -> FastAPI:
    app = FastAPI()

    @app.get("/where")
    async def where() -> PlainTextResponse:
        return PlainTextResponse("here")

    @app.get("/old")
    async def old() -> RedirectResponse:
        return RedirectResponse("/where", status_code=302)

    return app


def test_asgi_client_has_flask_clients_defaults() -> None:
    app = _asgi()
    client = asgi_client(app)
    moved = client.get("/old")
    assert moved.status_code == 302 and moved.headers["location"] == "/where"
    assert str(moved.request.url) == "http://localhost/old"
    assert client.get("/old", follow_redirects=True).text == "here"
    client.close()
    with asgi_client(app) as held:
        assert [held.get("/where").text for _ in range(3)] == ["here"] * 3


def _legacy(name: str) -> Flask:
    app = Flask(name)

    @app.before_request
    def tag() -> None:
        g.tag = "hooked"

    @app.get("/who")
    def who() -> dict[str, str]:
        return {"served_by": "flask", "tag": g.tag}

    @app.get("/old")
    def old() -> Response:
        return redirect("/who")

    @app.get("/moved")
    def moved() -> Response:
        return redirect("/who", 308)

    return app


def test_without_a_twin_the_legacy_app_is_served_alone() -> None:
    """No ``<package>_async`` (apply migrated nothing, e.g. only REST Resources): the
    legacy app alone, through the same ASGI wrapping, and a one-line warning."""
    with pytest.warns(LegacyOnlyWarning, match=r"^no migrated app 'nowhere_pkg_async\.main:"
                      r"app' .*: serving the legacy app 'nowhere_pkg\.app' alone over ASGI$"):
        app = combined_app(_legacy("nowhere_pkg.app"))
    with asgi_client(app) as client:
        answer = client.get("/who")
    assert answer.json() == {"served_by": "flask", "tag": "hooked"}
    assert any(getattr(route, "path", None) == "" for route in app.routes)  # the a2wsgi mount


def test_an_app_converted_in_place_is_already_the_migrated_app() -> None:
    """``--in-place`` turned the app module into FastAPI: it is served as it is, and
    ``flask.url_for`` in the tests builds its routes' URLs in ``request_context``."""
    app = _asgi()

    @app.get("/items/{item_id:int}/files/{name:path}", name="item_file")
    async def item_file(item_id: int, name: str) -> PlainTextResponse:
        return PlainTextResponse(f"{item_id}:{name}")

    assert combined_app(app) is app
    with request_context(app):
        url = url_for("item_file", item_id=3, name="a/b.txt", v="x y")
        assert (url, url_for("where")) == ("/items/3/files/a/b.txt?v=x+y", "/where")
    with asgi_client(app) as client:
        assert client.get(url).text == "3:a/b.txt"


def test_request_context_of_a_flask_app_is_its_own() -> None:
    legacy = _legacy("contexts_pkg.app")
    with request_context(legacy):
        assert current_app._get_current_object() is legacy  # type: ignore[attr-defined]
        assert url_for("who", page=2) == "/who?page=2"


def test_a_named_target_must_import(monkeypatch) -> None:
    monkeypatch.setenv("ASYNCIFY_COMBINED_APP", "nowhere_target_for_test:app")
    with pytest.raises(ImportError, match=r"nowhere_target_for_test:app.*ASYNCIFY_COMBINED_APP"):
        combined_app(Flask("nowhere_pkg.app"))


def test_a_twin_failing_on_import_is_not_hidden(tmp_path, monkeypatch) -> None:
    twin = tmp_path / "brokenpkg_async"
    twin.mkdir()
    (twin / "__init__.py").write_text("")
    (twin / "main.py").write_text("import a_dependency_nobody_installed\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ImportError, match=r"brokenpkg_async\.main:app.*"
                                          r"a_dependency_nobody_installed"):
        combined_app(Flask("brokenpkg.app"))


@pytest.mark.parametrize(("path", "location", "server_name", "holds"), [
    ("/old", "/who", None, True),                      # relative on both sides
    ("/old", "http://localhost/who", None, True),      # an absolute expectation
    ("/old", "/who", "shop.test", False),              # SERVER_NAME makes it http://shop.test
    ("/old", "/elsewhere", None, False),
    ("/moved", "/who", None, False),                   # 308: Flask-Testing rejects it
    ("/who", "/who", None, False),                     # not a redirect
])
def test_assert_redirects_keeps_flask_testings_rule(path: str, location: str,
                                                    server_name: str | None,
                                                    holds: bool) -> None:
    case = unittest.TestCase()  # only to assert with
    legacy = _legacy("redirects_pkg.app")
    legacy.config["SERVER_NAME"] = server_name
    case.app = legacy  # type: ignore[attr-defined]
    with pytest.warns(LegacyOnlyWarning), asgi_client(combined_app(legacy)) as client:
        response = client.get(path)
    if holds:
        assert_redirects(case, response, location)
    else:
        with pytest.raises(AssertionError):
            assert_redirects(case, response, location, "why")


def test_combined_app_returns_a_plain_asgi_target_as_is(monkeypatch) -> None:
    import sys
    import types

    module = types.ModuleType("plain_target_for_test")
    module.app = _asgi()  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "plain_target_for_test", module)
    monkeypatch.setenv("ASYNCIFY_COMBINED_APP", "plain_target_for_test:app")
    assert combined_app(Flask("anything")) is module.app  # type: ignore[attr-defined]
