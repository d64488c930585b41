"""``compat.adopt``: a legacy object's ``requests.Session`` as an httpx client that sends what
the session sends — compared with the session itself, against a real server on loopback."""

from __future__ import annotations

import asyncio
import gc
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from asyncify.compat import (
    AdoptionError,
    RequestsAsyncClient,
    RetryError,
    adopt,
    as_legacy,
    async_session,
)


class Script:
    """What the server answers: per path, a list of (status, headers) used in turn (the last
    one repeats), and every request it saw."""

    def __init__(self) -> None:
        self.answers: dict[str, list[tuple[int, dict[str, str]]]] = {}
        self.seen: list[tuple[str, str, dict[str, str]]] = []
        self.bodies: list[bytes] = []
        self.lock = threading.Lock()

    def attempts(self, path: str) -> int:
        return sum(1 for _, target, _ in self.seen if target.split("?")[0] == path)


@pytest.fixture
def server() -> Iterator[tuple[str, Script]]:
    script = Script()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            received = self.rfile.read(length) if length else b""
            path = self.path.split("?")[0]
            with script.lock:
                script.seen.append((self.command, self.path, dict(self.headers.items())))
                script.bodies.append(received)
                queue = script.answers.get(path, [(200, {})])
                status, headers = queue.pop(0) if len(queue) > 1 else queue[0]
            body = f'{{"path": "{path}", "status": {status}}}'.encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_HEAD = _answer

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", script
    finally:
        httpd.shutdown()
        httpd.server_close()


def _session(retry: Retry | int = 0) -> requests.Session:
    session = requests.Session()
    session.mount("http://", HTTPAdapter(max_retries=retry, pool_maxsize=4))
    session.mount("https://", HTTPAdapter(max_retries=retry, pool_maxsize=4))
    return session


async def _adopted_get(session: requests.Session, url: str, **kwargs: Any) -> httpx.Response:
    async with async_session(session) as client:
        return await client.get(url, follow_redirects=True, **kwargs)


def _both(session: requests.Session, script: Script, path: str, answers: list[Any],
          url: str, **kwargs: Any) -> tuple[Any, int, Any, int]:
    """(legacy result or exception, attempts, async result or exception, attempts)."""
    results: list[Any] = []
    for run in ("legacy", "async"):
        script.answers[path] = list(answers)
        before = script.attempts(path)
        try:
            if run == "legacy":
                outcome: Any = session.get(url + path, **kwargs)
            else:
                outcome = asyncio.run(_adopted_get(session, url + path, **kwargs))
        except Exception as error:
            outcome = error
        results += [outcome, script.attempts(path) - before]
    return results[0], results[1], results[2], results[3]


RETRY = Retry(total=2, read=False, status_forcelist=(502, 503), backoff_factor=0,
              allowed_methods=frozenset({"GET"}))


def test_status_retries_end_in_the_same_answer_after_the_same_attempts(server: Any) -> None:
    url, script = server
    legacy, tries, migrated, async_tries = _both(_session(RETRY), script, "/flaky",
                                                 [(503, {}), (502, {}), (200, {})], url)
    assert (legacy.status_code, tries) == (200, 3)
    assert (migrated.status_code, async_tries) == (200, 3)
    assert migrated.json() == legacy.json()


def test_exhausted_status_retries_raise_retry_error(server: Any) -> None:
    url, script = server
    legacy, tries, migrated, async_tries = _both(_session(RETRY), script, "/down",
                                                 [(503, {})], url)
    assert isinstance(legacy, requests.exceptions.RetryError) and tries == 3
    assert isinstance(migrated, RetryError) and async_tries == 3
    assert migrated.response.status_code == 503
    assert isinstance(migrated, httpx.HTTPError)  # `except httpx.HTTPError` still catches it
    assert isinstance(as_legacy(migrated), requests.exceptions.RetryError)


def test_raise_on_status_false_returns_the_last_answer(server: Any) -> None:
    url, script = server
    retry = Retry(total=1, status_forcelist=(503,), raise_on_status=False, backoff_factor=0)
    legacy, tries, migrated, async_tries = _both(_session(retry), script, "/soft",
                                                 [(503, {})], url)
    assert (legacy.status_code, tries) == (503, 2)
    assert (migrated.status_code, async_tries) == (503, 2)


def test_methods_outside_allowed_methods_are_not_retried(server: Any) -> None:
    url, script = server
    session = _session(RETRY)
    script.answers["/order"] = [(503, {})]
    legacy = session.post(url + "/order", json={"a": 1})

    async def post() -> httpx.Response:
        async with async_session(session) as client:
            return await client.post(url + "/order", json={"a": 1})

    migrated = asyncio.run(post())
    assert legacy.status_code == migrated.status_code == 503
    assert script.attempts("/order") == 2  # one each


def test_retry_after_is_honoured(server: Any) -> None:
    url, script = server
    retry = Retry(total=1, status_forcelist=(503,), backoff_factor=0)
    started = time.monotonic()
    legacy, tries, migrated, async_tries = _both(
        _session(retry), script, "/later", [(503, {"Retry-After": "1"}), (200, {})], url)
    assert legacy.status_code == migrated.status_code == 200
    assert tries == async_tries == 2
    assert time.monotonic() - started >= 2.0  # one second each side


def test_connect_retries_run_out_with_the_same_family_of_error() -> None:
    import socket

    with socket.socket() as sock:  # bound, never listening: connections are refused
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        retry = Retry(total=2, connect=2, backoff_factor=0)
        session = _session(retry)
        with pytest.raises(requests.exceptions.ConnectionError):
            session.get(url + "/x", timeout=2)
        with pytest.raises(httpx.ConnectError) as caught:
            asyncio.run(_adopted_get(session, url + "/x", timeout=2))
        assert isinstance(as_legacy(caught.value), requests.exceptions.ConnectionError)


def test_urls_headers_and_params_are_built_as_requests_builds_them(server: Any) -> None:
    url, script = server
    session = _session()
    session.params = {"api_key": "k 1"}
    session.headers.update({"X-Team": "shop"})
    calls = [
        ("/a?limit=3", None),
        ("/a?limit=3", {"page": 2, "flag": True, "skip": None}),
        ("/b", {"tags": ["x", "y"], "q": "é&="}),
        ("/b/%2Fraw?x=1", {}),
    ]
    for path, params in calls:
        session.get(url + path, params=params)
        legacy_target, legacy_headers = script.seen[-1][1], script.seen[-1][2]
        asyncio.run(_adopted_get(session, url + path, params=params))
        target, headers = script.seen[-1][1], script.seen[-1][2]
        assert target == legacy_target
        for name in ("User-Agent", "Accept", "Accept-Encoding", "X-Team"):
            assert headers.get(name) == legacy_headers.get(name), name


def test_json_bodies_are_the_bytes_requests_sends(server: Any) -> None:
    url, script = server
    session = _session()
    payload = {"title": "Café", "items": [1, 2.5], "note": None}

    async def post() -> None:
        async with async_session(session) as client:
            await client.post(url + "/quote", json=payload)

    session.post(url + "/quote", json=payload)
    legacy_body, legacy_type = script.bodies[-1], script.seen[-1][2]["Content-Type"]
    asyncio.run(post())
    assert script.bodies[-1] == legacy_body == b'{"title": "Caf\\u00e9", "items": [1, 2.5], "note": null}'
    assert script.seen[-1][2]["Content-Type"] == legacy_type == "application/json"


def test_malformed_json_raises_what_requests_raises(server: Any) -> None:
    import json

    url, script = server
    session = _session()
    script.answers["/text"] = [(200, {})]

    async def read() -> Any:
        async with async_session(session) as client:
            response = await client.get(url + "/text", params={"x": "1"})
            response._content = b"not json"
            return response.json()

    with pytest.raises(requests.exceptions.JSONDecodeError) as caught:
        asyncio.run(read())
    assert isinstance(caught.value, json.JSONDecodeError)


def test_response_hooks_see_a_requests_response(server: Any) -> None:
    url, _ = server
    seen: list[tuple[Any, ...]] = []

    def record(response: requests.Response, *args: Any, **kwargs: Any) -> None:
        assert isinstance(response, requests.Response)
        seen.append((response.request.method or "", response.request.url, response.url,
                     response.status_code, response.reason, response.ok, response.encoding,
                     response.headers["Content-Type"], response.headers.get("content-length"),
                     dict(response.cookies), response.history, response.is_redirect))

    session = _session()
    session.hooks["response"].append(record)
    session.get(url + "/hooked?x=1")
    asyncio.run(_adopted_get(session, url + "/hooked?x=1"))
    assert len(seen) == 2 and seen[0] == seen[1]

    def reads_body(response: requests.Response, *args: Any, **kwargs: Any) -> None:
        response.json()

    session.hooks["response"] = [reads_body]
    with pytest.raises(AdoptionError, match="read the response body"):
        asyncio.run(_adopted_get(session, url + "/hooked"))


def test_a_header_set_to_none_is_not_sent(server: Any) -> None:
    """requests drops a call's header whose value is None, and the session's header of that
    name with it (httpx would raise TypeError); with a json= body too."""
    url, script = server
    session = _session()
    session.headers.update({"X-Session": "s", "X-Kept": "k"})
    headers = {"X-Session": None, "X-Token": None, "X-Call": "c"}
    seen = []
    for send in (lambda: session.post(url + "/h", headers=headers, json={"a": 1}),
                 lambda: asyncio.run(_adopted_post(session, url + "/h", headers=headers,
                                                   json={"a": 1}))):
        send()
        sent = {k.lower(): v for k, v in script.seen[-1][2].items()}
        seen.append({k: v for k, v in sent.items() if k.startswith("x-")})
    assert seen[0] == {"x-kept": "k", "x-call": "c"}
    assert seen[1] == seen[0]


async def _adopted_post(session: requests.Session, url: str, **kwargs: Any) -> httpx.Response:
    async with async_session(session) as client:
        return await client.post(url, follow_redirects=True, **kwargs)


def test_cookies_are_shared_with_the_session(server: Any) -> None:
    url, script = server
    session = _session()
    script.answers["/login"] = [(200, {"Set-Cookie": "sid=abc; Path=/"})]
    asyncio.run(_adopted_get(session, url + "/login"))
    assert session.cookies.get("sid") == "abc"
    session.get(url + "/me")
    assert "sid=abc" in script.seen[-1][2].get("Cookie", "")


def test_what_has_no_exact_equivalent_is_refused() -> None:
    class Custom(HTTPAdapter):
        pass

    session = requests.Session()
    session.mount("https://", Custom())
    with pytest.raises(AdoptionError, match="Custom"):
        async_session(session)
    session = requests.Session()
    session.mount("http://internal/", HTTPAdapter())
    with pytest.raises(AdoptionError, match="internal"):
        async_session(session)
    session = requests.Session()
    session.auth = requests.auth.HTTPDigestAuth("u", "p")
    with pytest.raises(AdoptionError, match="HTTPDigestAuth"):
        async_session(session)
    session = requests.Session()
    session.mount("http://", HTTPAdapter(pool_block=True))
    with pytest.raises(AdoptionError, match="pool_block"):
        async_session(session)


class LegacyClient:
    def __init__(self, base: str) -> None:
        self.base = base
        self.session = _session(RETRY)
        self.settings = {"currency": "EUR"}

    def name(self) -> str:
        return f"client of {self.base}"

    def get_json(self, path: str) -> Any:
        response = self.session.get(self.base + path)
        response.raise_for_status()
        return response.json()


class Client(LegacyClient):
    async def get_json(self, path: str) -> Any:  # type: ignore[override]
        response = await self.session.get(self.base + path)
        response.raise_for_status()
        return response.json()


def test_adopt_makes_one_view_per_object_and_loop(server: Any) -> None:
    url, script = server
    legacy = LegacyClient(url)
    script.answers["/p"] = [(503, {}), (200, {})]

    async def use() -> tuple[Any, Any, Any]:
        view = adopt(legacy, Client)
        again = adopt(legacy, Client)
        return view, again, await view.get_json("/p")

    view, again, body = asyncio.run(use())
    assert view is again and isinstance(view, LegacyClient)
    assert isinstance(view.session, RequestsAsyncClient)
    assert view.settings is legacy.settings and view.name() == legacy.name()
    assert body == {"path": "/p", "status": 200} and script.attempts("/p") == 2
    other, _, _ = asyncio.run(use())
    assert other is not view  # another event loop: another client
    assert asyncio.run(_none()) is None


async def _none() -> Any:
    return adopt(None, Client)


def test_the_combined_app_closes_what_its_requests_opened_at_shutdown(
    server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The shared client and the adopted views' clients, made on first use inside requests,
    are closed by the combined app's lifespan (aiohttp would log them as unclosed at exit);
    the legacy object's own session stays usable. The heap is frozen while serving."""
    import flask
    from fastapi import APIRouter

    from asyncify.compat import combine, http_client

    url, _script = server
    legacy_client = LegacyClient(url)
    made: dict[str, Any] = {}
    router = APIRouter()

    @router.get("/both")
    async def both() -> Any:
        made["shared"] = http_client()
        view = adopt(legacy_client, Client)
        made["adopted"] = view.session
        return await view.get_json("/p")

    app = combine(flask.Flask("legacy"), [(router, "")])

    frozen: list[int] = []

    async def serve() -> None:
        async with app.router.lifespan_context(app):  # what uvicorn's lifespan runs
            frozen.append(gc.get_freeze_count())
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                assert (await client.get("/both")).json() == {"path": "/p", "status": 200}
            assert not made["shared"].is_closed and not made["adopted"].is_closed

    assert gc.get_freeze_count() == 0
    asyncio.run(serve())
    assert made["shared"].is_closed and made["adopted"].is_closed
    # The heap as it was at startup is frozen while serving, and unfrozen at shutdown.
    assert frozen[0] > 1000 and gc.get_freeze_count() == 0
    monkeypatch.setenv("ASYNCIFY_GC_FREEZE", "0")
    asyncio.run(serve())
    assert frozen[1] == 0
    assert legacy_client.session.get(url + "/p").status_code == 200
