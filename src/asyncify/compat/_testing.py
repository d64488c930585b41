"""Helpers that migrated *test suites* call (rules ASY7xx, docs/test-migration.md).

A test suite migrated from Flask's test client and ``requests`` mocks runs against an app
that is often half migrated: endpoints moved to FastAPI call upstreams with httpx, the rest
still with ``requests``. :data:`http_mock` is a respx router that answers both, so one set
of mocked routes keeps holding whichever library an endpoint uses. The other helpers keep
the Flask test response's behaviour where httpx's differs (``get_json()`` returning
``None`` on a non-JSON body, ``mimetype``).
"""

from __future__ import annotations

import importlib
import json
import os
import re
from collections.abc import Callable
from typing import Any, ClassVar
from urllib.parse import SplitResult, urlsplit

import anyio.from_thread
import httpx
import requests
import responses
import respx

# httpx's transport errors → what requests raises for the same failure, most specific first.
_AS_REQUESTS: tuple[tuple[type[Exception], type[Exception]], ...] = (
    (httpx.ConnectTimeout, requests.exceptions.ConnectTimeout),
    (httpx.ReadTimeout, requests.exceptions.ReadTimeout),
    (httpx.TimeoutException, requests.exceptions.Timeout),
    (httpx.TooManyRedirects, requests.exceptions.TooManyRedirects),
    (httpx.TransportError, requests.exceptions.ConnectionError),
)


class HTTPMock(respx.MockRouter):
    """A respx router that, while started, also answers calls made with ``requests``, so
    mocked routes hold for both halves of a combined app.

    The requests half goes through the ``responses`` library (one catch-all callback per
    method, asking this router): it patches ``HTTPAdapter.send`` and, like a real adapter,
    honours the session's ``Retry`` (a mocked 503 on a retried GET still ends in
    ``RetryError``), streaming and cookies.
    """

    _active: ClassVar[list[HTTPMock]] = []
    _requests: ClassVar[responses.RequestsMock | None] = None

    def start(self) -> None:
        super().start()
        if not HTTPMock._active:
            mocked = responses.RequestsMock(assert_all_requests_are_fired=False)
            for method in _METHODS:
                mocked.add_callback(method, re.compile(r".*"), callback=_answer,
                                    content_type=None)
            mocked.start()
            HTTPMock._requests = mocked
        HTTPMock._active.append(self)

    def stop(self, clear: bool = True, reset: bool = True, quiet: bool = False) -> None:
        if self in HTTPMock._active:
            HTTPMock._active.remove(self)
            if not HTTPMock._active and HTTPMock._requests is not None:
                HTTPMock._requests.stop()
                HTTPMock._requests.reset()
                HTTPMock._requests = None
        super().stop(clear=clear, reset=reset, quiet=quiet)


_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")


def _answer(request: requests.PreparedRequest) -> Any:
    """A requests call, answered by the innermost running :class:`HTTPMock`: ``(status,
    headers, body)`` for ``responses``; headers as a list keeps repeated ones."""
    body = request.body
    content = body.encode("utf-8") if isinstance(body, str) else body
    if not isinstance(content, bytes):
        content = b"" if content is None else b"".join(
            part.encode("utf-8") if isinstance(part, str) else part
            for part in content)  # type: ignore[union-attr]
    assert request.method is not None and request.url is not None
    headers = [(k, v.decode("latin-1") if isinstance(v, bytes) else v)
               for k, v in request.headers.items()]
    outgoing = httpx.Request(request.method, request.url, headers=headers, content=content)
    try:
        answer = HTTPMock._active[-1].handler(outgoing)
    except httpx.HTTPError as exc:
        for httpx_type, requests_type in _AS_REQUESTS:
            if isinstance(exc, httpx_type):
                raise requests_type(str(exc), request=request) from exc  # type: ignore[call-arg]
        raise
    headers = [(k, v) for k, v in answer.headers.multi_items()
               if k.lower() not in ("content-length", "content-encoding")]
    return answer.status_code, headers, answer.content


http_mock = HTTPMock(assert_all_called=False)
"""The shared router migrated tests use: ``@http_mock`` / ``with http_mock:`` and
``http_mock.get(url).respond(...)``, like ``respx.mock``, but requests' calls are answered too."""


def json_or_none(response: httpx.Response) -> Any:
    """Flask's ``response.get_json()`` / ``response.json`` on a test response: ``None``
    unless the mimetype is JSON (httpx's ``json()`` parses any body)."""
    return json.loads(response.content) if _is_json(mimetype(response)) else None


def is_json(response: httpx.Response) -> bool:
    """Flask's ``response.is_json``."""
    return _is_json(mimetype(response))


def _is_json(kind: str) -> bool:
    return kind == "application/json" or (kind.startswith("application/")
                                          and kind.endswith("+json"))


def mimetype(response: httpx.Response) -> str:
    """Flask's ``response.mimetype``: the content type without parameters, lower-cased."""
    kind: str = response.headers.get("content-type", "")
    return kind.split(";")[0].strip().lower()


def combined_app(legacy: Any, target: str | None = None) -> Any:
    """The migrated ASGI app, serving ``legacy`` (a Flask app the test built with its own
    factory and config) where endpoints are not migrated.

    ``target`` (``module:attribute``) is the app ``asyncify apply`` wrote; by default the
    ``ASYNCIFY_COMBINED_APP`` environment variable, else ``<package>_async.main:app`` for the
    legacy app's top-level package. A combined app is rebuilt around ``legacy`` (its
    migrated routes, ``legacy``'s config, hooks and error handlers); any other app is
    returned as it is.

    :raises ImportError: the target cannot be imported (the message says how to set it).
    """
    from ._legacy import LegacyContext, combine

    spec = target or os.environ.get("ASYNCIFY_COMBINED_APP") or (
        f"{legacy.import_name.partition('.')[0]}_async.main:app")
    module_name, _, attribute = spec.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ImportError(f"cannot import the migrated app {spec!r} ({exc}); run `asyncify "
                          "apply` first, or set ASYNCIFY_COMBINED_APP=module:attribute") from exc
    app = getattr(module, attribute or "app")
    context = next((m for m in getattr(app, "user_middleware", ())
                    if m.cls is LegacyContext), None)
    if context is None:
        return app
    from fastapi import APIRouter

    router = APIRouter()
    router.routes.extend(context.kwargs["routes"])
    return combine(legacy, [(router, "")])


def httmock_router(*handlers: Callable[..., Any]) -> HTTPMock:
    """``HTTMock(*handlers)`` as an :class:`HTTPMock` router (a context manager and a
    decorator, like ``HTTMock`` and ``with_httmock``) with one catch-all route that asks the
    httmock handlers (``@urlmatch`` / ``@all_requests``
    functions, called with ``(urlsplit(url), request)`` as httmock does) in order; the first
    that answers wins. Their answers (a dict, a str/bytes body, a ``requests.Response``, or
    ``None``) become httpx responses. With no answer the request is not mocked: respx fails
    the test (httmock would have sent it for real)."""

    def side_effect(request: httpx.Request) -> httpx.Response | None:
        prepared = requests.Request(request.method, str(request.url),
                                    headers=dict(request.headers),
                                    data=request.content or None).prepare()
        url: SplitResult = urlsplit(str(request.url))
        for handler in handlers:
            answer = handler(url, prepared)
            if answer is not None:
                return _httmock_response(answer)
        return None

    router = HTTPMock(assert_all_called=False)
    router.route().mock(side_effect=side_effect)
    return router


def _httmock_response(answer: Any) -> httpx.Response:
    if isinstance(answer, requests.Response):
        return httpx.Response(answer.status_code, headers=dict(answer.headers),
                              content=answer.content)
    if isinstance(answer, dict):
        content = answer.get("content", b"")
        headers = dict(answer.get("headers") or {})
        if isinstance(content, dict | list):
            content = json.dumps(content)
        if isinstance(content, str):
            content = content.encode("utf-8")
        return httpx.Response(int(answer.get("status_code") or 200), headers=headers,
                              content=content)
    if isinstance(answer, str):
        answer = answer.encode("utf-8")
    return httpx.Response(200, content=answer)


class _PortalTransport(httpx.BaseTransport):
    """Sends a sync client's requests to an ASGI app (``httpx.ASGITransport``) on an event
    loop in a worker thread, as Starlette's ``TestClient`` does. While the client is used as
    a context manager one loop serves every request; otherwise each request gets its own,
    and the shared ``http_client()`` that request opened is closed with it."""

    def __init__(self, app: Any) -> None:
        self._asgi = httpx.ASGITransport(app=app)
        self._portal: Any = None
        self._portal_cm: Any = None

    def open(self) -> None:
        if self._portal_cm is None:
            self._portal_cm = anyio.from_thread.start_blocking_portal()
            self._portal = self._portal_cm.__enter__()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self._portal is not None:
            return self._portal.call(self._send, request, False)  # type: ignore[no-any-return]
        with anyio.from_thread.start_blocking_portal() as portal:
            return portal.call(self._send, request, True)

    async def _send(self, request: httpx.Request, close_shared: bool) -> httpx.Response:
        try:
            response = await self._asgi.handle_async_request(request)
            content = await response.aread()
            return httpx.Response(response.status_code, headers=response.headers.multi_items(),
                                  content=content, extensions=response.extensions)
        finally:
            if close_shared:
                await _close_shared_client()

    def close(self) -> None:
        if self._portal_cm is not None:
            self._portal.call(_close_shared_client)
            self._portal_cm.__exit__(None, None, None)
            self._portal = self._portal_cm = None


async def _close_shared_client() -> None:
    import asyncio

    from ._http import _clients

    client = _clients.pop(asyncio.get_running_loop(), None)
    if client is not None:
        await client.aclose()


class ASGIClient(httpx.Client):
    """A sync httpx client over an ASGI app, in place of Flask's ``app.test_client()``:
    base URL ``http://localhost`` and no redirect following, as Flask's client; app errors
    propagate to the test (as with ``TESTING=True``); no lifespan, as Flask has none."""

    def __init__(self, app: Any, **kwargs: Any) -> None:
        self._portal_transport = _PortalTransport(app)
        kwargs.setdefault("base_url", "http://localhost")
        kwargs.setdefault("follow_redirects", False)
        super().__init__(transport=self._portal_transport, **kwargs)

    def __enter__(self) -> ASGIClient:
        super().__enter__()
        self._portal_transport.open()
        return self


def asgi_client(app: Any, **kwargs: Any) -> ASGIClient:
    """``app.test_client()`` for an ASGI app (see :class:`ASGIClient`)."""
    return ASGIClient(app, **kwargs)
