"""Helpers that migrated *test suites* call (rules ASY7xx, docs/test-migration.md).

A test suite migrated from Flask's test client and ``requests`` mocks runs against an app
that is often half migrated: endpoints moved to FastAPI call upstreams with httpx, the rest
still with ``requests``. :data:`http_mock` is a respx router that answers both, so one set
of mocked routes keeps holding whichever library an endpoint uses. The other helpers keep
the Flask test response's behaviour where httpx's differs (``get_json()`` returning
``None`` on a non-JSON body, ``mimetype``).
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import re
import unittest
import warnings
from collections.abc import Callable
from typing import Any, ClassVar
from urllib.parse import SplitResult, urljoin, urlsplit

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


_PARAM = re.compile(r"\{(\w+)(?::(\w+))?\}")


def request_context(app: Any) -> Any:
    """The test request context Flask-Testing pushes around each test: the Flask app's
    ``test_request_context()``. For an app already converted to FastAPI in place, that of a
    stand-in Flask app whose URL map holds the app's named routes, so ``flask.url_for(name,
    ...)`` in the tests still builds their URLs (path parameters fill the route, the other
    values the query string); its ``current_app`` has an empty config."""
    if hasattr(app, "test_request_context"):
        return app.test_request_context()
    from flask import Flask

    stand_in = Flask("asyncify_routes", static_folder=None)
    for route in getattr(app, "routes", ()):
        name, path = getattr(route, "name", None), getattr(route, "path", None)
        if name and isinstance(path, str):
            rule = _PARAM.sub(lambda m: f"<{m[2] + ':' if m[2] and m[2] != 'str' else ''}"
                                        f"{m[1]}>", path)
            stand_in.add_url_rule(rule, endpoint=name, build_only=True)
    return stand_in.test_request_context()


class LegacyOnlyWarning(UserWarning):
    """:func:`combined_app` found no migrated app and serves the legacy app alone."""


def assert_redirects(case: unittest.TestCase, response: httpx.Response, location: str,
                     message: str | None = None) -> None:
    """Flask-Testing's ``self.assertRedirects(response, location)`` on an httpx response:
    the status is 301, 302, 303, 305 or 307 (not 308: Flask-Testing rejects it), and the
    redirect points to ``location``, a relative one made absolute against
    ``http://<SERVER_NAME or localhost>`` of ``case.app`` (the Flask app).

    The ``Location`` header is resolved against the request URL first, as Werkzeug < 2.1 did
    for every response (``autocorrect_location_header``) when Flask-Testing was written; on
    Werkzeug ≥ 2.1 Flask-Testing compares the raw header, so its assertion fails on any
    relative redirect, whatever the target.

    :raises AssertionError: not such a redirect (``message`` if given).
    """
    expected = location
    if not urlsplit(location).netloc:
        config = getattr(case, "app").config  # noqa: B009 (set by the migrated setUp)
        expected = urljoin(f"http://{config.get('SERVER_NAME') or 'localhost'}", location)
    codes = (301, 302, 303, 305, 307)
    case.assertIn(response.status_code, codes, message or (
        f"HTTP Status {', '.join(map(str, codes))} expected but got {response.status_code}"))
    actual = response.headers.get("location")
    if actual is not None:
        actual = urljoin(str(response.request.url), actual)
    case.assertEqual(actual, expected, message)


def combined_app(legacy: Any, target: str | None = None) -> Any:
    """The migrated ASGI app, serving ``legacy`` (a Flask app the test built with its own
    factory and config) where endpoints are not migrated.

    ``target`` (``module:attribute``) is the app ``asyncify apply`` wrote; by default the
    ``ASYNCIFY_COMBINED_APP`` environment variable, else ``<package>_async.main:app`` for the
    legacy app's top-level package (``<package>_async.combined:app`` when a twin module is
    called ``main``; ``asgi_main`` when ``combined`` is taken too). A combined app is rebuilt around ``legacy`` (its
    migrated routes, ``legacy``'s config, hooks and error handlers); any other app is
    returned as it is. When that default twin does not exist (``apply`` migrated nothing
    yet, e.g. every endpoint is a REST ``Resource``) ``legacy`` is served alone through the
    same ASGI wrapping, with a :class:`LegacyOnlyWarning`.

    ``legacy`` without Flask's WSGI side (an app already converted to FastAPI in place) is
    the migrated app: it is returned as it is.

    :raises ImportError: the target cannot be imported: a ``target`` or
        ``ASYNCIFY_COMBINED_APP`` given, or a twin that fails on import (the message says
        how to set it).
    """
    from . import COMBINED_MODULES
    from ._legacy import LegacyContext, combine

    if not hasattr(legacy, "wsgi_app"):
        return legacy
    package = f"{legacy.import_name.partition('.')[0]}_async"
    chosen = target or os.environ.get("ASYNCIFY_COMBINED_APP")
    spec = chosen or f"{package}.{COMBINED_MODULES[0]}:app"
    module_name, _, attribute = spec.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        missing = isinstance(exc, ModuleNotFoundError) and exc.name in (package, module_name)
        if chosen is None and missing:
            warnings.warn(f"no migrated app {spec!r} (`asyncify apply` has not written it): "
                          f"serving the legacy app {legacy.import_name!r} alone over ASGI",
                          LegacyOnlyWarning, stacklevel=2)
            return combine(legacy, [])
        raise ImportError(f"cannot import the migrated app {spec!r} ({exc}); run `asyncify "
                          "apply` first, or set ASYNCIFY_COMBINED_APP=module:attribute") from exc
    for other in COMBINED_MODULES[1:]:
        if chosen is not None or hasattr(module, "app"):
            break
        # A twin module is called ``main`` (a blueprint package ``main``): ``apply`` wrote the
        # combined app under the next name free.
        with contextlib.suppress(ModuleNotFoundError):
            module = importlib.import_module(f"{package}.{other}")
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
