"""The combined app: migrated routes run inside the legacy Flask app's request context.

Migrated endpoints keep calling the legacy app's pure helpers, which may read
``flask.request``, ``g`` or ``current_app.config``; and the legacy ``before_request`` hooks
(authentication, request ids) must still run in front of them, with the same ``g``. So each
migrated request pushes a Flask request context built from the ASGI request (Flask's contexts
are context variables: one per task, safe on one event loop), runs the legacy hooks in a worker
thread (on the event loop when ``asyncify apply`` found that none of them does I/O), and
hands errors to the legacy app's own error handlers, so error bodies are the
legacy app's, byte for byte.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
from collections.abc import Callable, Collection, Sequence
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, FastAPI, Request
from flask.globals import _cv_request
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.responses import Response
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ._flask import as_werkzeug, flask_response, from_werkzeug, set_flask_app
from ._flask_context import (
    CURRENT_EXCEPTION,
    Hooks,
    LeanRequestContext,
    preprocess_request,
    process_response,
)

if TYPE_CHECKING:
    from ..rollout import Rollout


# Paths whose "migrated or not" LegacyContext remembers (then it starts again).
PATH_CACHE = 4096


def _qualified(function: Any) -> str:
    return f"{getattr(function, '__module__', '')}.{getattr(function, '__qualname__', '')}"


def _before(legacy: Any) -> Any:
    """The legacy ``before_request`` hooks; a response if one of them answered."""
    rv = preprocess_request(legacy)
    return None if rv is None else process_response(legacy, legacy.make_response(rv))


def _after(legacy: Any, status: int, headers: list[tuple[bytes, bytes]]) -> tuple[int, Any]:
    """The legacy ``after_request`` hooks, run on the response's status and headers."""
    from werkzeug.datastructures import Headers
    from werkzeug.wrappers import Response as WerkzeugResponse

    given = Headers([(key.decode("latin-1"), value.decode("latin-1")) for key, value in headers])
    typed = "content-type" in given
    response = WerkzeugResponse(status=status, headers=given)
    if not typed:  # the headers are exactly the response's: no default Content-Type
        del response.headers["Content-Type"]
    if not _finalized():
        response = process_response(legacy, response)
    return response.status_code, [
        (k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in response.headers.items()
    ]


# Set on the request context, to the exception, once Flask's 500 path has handled it: that
# finalises the response (the after_request hooks must not run a second time), and the
# teardown functions get the exception, as when Flask serves the request.
_FINALIZED = "_asyncify_unhandled"


def _finalized() -> bool:
    return getattr(_cv_request.get(), _FINALIZED, None) is not None


def _handle(legacy: Any, error: BaseException) -> Any:
    if isinstance(error, StarletteHTTPException):
        error = as_werkzeug(error)
    try:
        raise as_legacy(error) from error
    except Exception as raised:
        try:
            rv = legacy.handle_user_exception(raised)
        except Exception as unhandled:
            # Flask's 500 for the rest; handle_exception finalises the response.
            response = legacy.handle_exception(unhandled)
            setattr(_cv_request.get(), _FINALIZED, unhandled)
            return response
    return legacy.make_response(rv)


def legacy_error_response(legacy: Any, error: BaseException) -> Response:
    """The legacy app's answer to ``error``, in the current request context, before its
    ``after_request`` hooks: its ``errorhandler`` functions (a Starlette HTTP error reaches
    them as the Werkzeug exception, an httpx error as the requests one), else Flask's error
    page or its 500 handler."""
    return from_werkzeug(_handle(legacy, error))


def _on_error(legacy: Any, error: BaseException) -> Response:
    """:func:`legacy_error_response` then the legacy ``after_request`` hooks."""
    response = _handle(legacy, error)
    return from_werkzeug(response if _finalized() else process_response(legacy, response))


class LegacyContext:
    """ASGI middleware for the migrated routes: each runs inside a legacy request context,
    after the legacy ``before_request`` hooks and before its ``after_request`` hooks, and its
    errors are answered by the legacy error handlers. Other paths pass through untouched
    (``routes=None``: every request is a migrated one, as in the standalone app)."""

    def __init__(
        self, app: ASGIApp, legacy: Any, routes: Sequence[BaseRoute] | None,
        inline_hooks: Collection[str] = (),
    ) -> None:
        self.app = app
        self.legacy = legacy
        self.routes = None if routes is None else list(routes)  # None: every request
        self.inline_hooks = frozenset(inline_hooks)
        self._inline: bool | None = None
        self._hooks: Hooks | None = None
        self._paths: dict[tuple[str, str], bool] = {}

    def _hooks_inline(self) -> bool:
        """Whether the legacy hooks may run on the event loop instead of a worker thread:
        every hook the legacy app registered (before/after request, URL value preprocessors,
        extensions' included) is one ``inline_hooks`` names — ``asyncify apply`` lists the
        hooks of the migrated endpoints that do no I/O. (Flask refuses new hooks once it has
        served a request, so the answer is kept.)"""
        if self._inline is None:
            legacy = self.legacy
            hooks = [hook for registry in (legacy.before_request_funcs,
                                           legacy.after_request_funcs,
                                           legacy.url_value_preprocessors)
                     for functions in registry.values() for hook in functions]
            self._inline = bool(self.inline_hooks) and all(
                _qualified(hook) in self.inline_hooks for hook in hooks)
        return self._inline

    def _migrated(self, scope: Scope) -> bool:
        """Whether a migrated route matches the path (with any method: a 405 is the
        migrated route's answer too). Cached per path, bounded: matching every route
        (FastAPI walks each included router's routes) costs more than the rest of the
        decision, and the answer depends on the path alone."""
        if self.routes is None:
            return True
        key = (scope.get("root_path", ""), scope["path"])
        found = self._paths.get(key)
        if found is None:
            found = any(route.matches(scope)[0] != Match.NONE for route in self.routes)
            if len(self._paths) >= PATH_CACHE:
                self._paths.clear()
            self._paths[key] = found
        return found

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self._migrated(scope):
            await self.app(scope, receive, send)
            return
        legacy = self.legacy
        body = await _body(receive)

        async def replay() -> Message:
            return {"type": "http.request", "body": body, "more_body": False}

        inline = self._hooks_inline()
        if self._hooks is None:  # read once, as _hooks_inline
            self._hooks = Hooks.of(legacy)
        context = LeanRequestContext(legacy, scope, body, self._hooks)
        context.push()
        try:
            early = _before(legacy) if inline else await run_in_threadpool(_before, legacy)
            if early is not None:
                await from_werkzeug(early)(scope, replay, send)
                return
            started = False

            async def send_after_hooks(message: Message) -> None:
                nonlocal started
                if message["type"] == "http.response.start":
                    started = True
                    args = (legacy, message["status"], list(message.get("headers", [])))
                    status, headers = _after(*args) if inline else await run_in_threadpool(
                        _after, *args)
                    message = {**message, "status": status, "headers": headers}
                await send(message)

            try:
                await self.app(scope, replay, send_after_hooks)
            except Exception as exc:
                if started:
                    raise
                response = await run_in_threadpool(_on_error, legacy, exc)
                await response(scope, replay, send)
        finally:
            context.pop(getattr(context, _FINALIZED, CURRENT_EXCEPTION))


async def _body(receive: Receive) -> bytes:
    """The whole request body, as Starlette's ``Request.body()`` reads it."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.request":
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                return b"".join(chunks)
        elif message["type"] == "http.disconnect":
            raise ClientDisconnect()


def _own_context(wsgi: Any) -> Any:
    """``wsgi`` run in an empty context for each request. The legacy app must push its own
    Flask contexts: handed one left over from a migrated request (context variables can leak
    into the worker thread a2wsgi runs it in), Flask reuses it instead of pushing a new app
    context, so the app-context teardown (Flask-SQLAlchemy's session removal: its
    transaction stays open, holding locks) does not run and ``g`` is shared."""

    @functools.wraps(wsgi)
    def run(environ: Any, start_response: Any) -> Any:
        return contextvars.Context().run(wsgi, environ, start_response)

    return run


# httpx → requests (semantics.md §1a, read backwards), most specific first: the legacy app's
# error handlers were written for requests' exceptions.
HTTPX_TO_REQUESTS = (
    ("HTTPStatusError", "HTTPError"),
    ("ConnectTimeout", "ConnectTimeout"),
    ("ReadTimeout", "ReadTimeout"),
    ("TimeoutException", "Timeout"),
    ("ProxyError", "ProxyError"),
    ("ConnectError", "ConnectionError"),
    ("NetworkError", "ConnectionError"),
    ("RemoteProtocolError", "ConnectionError"),
    ("TooManyRedirects", "TooManyRedirects"),
    ("UnsupportedProtocol", "InvalidSchema"),
    ("InvalidURL", "InvalidURL"),
    ("HTTPError", "RequestException"),
)


def as_legacy(error: BaseException) -> BaseException:
    """The exception the legacy code would have seen: an httpx error becomes the requests
    error raised in the same situation (with ``response`` for status errors); anything else
    is returned as is."""
    try:
        import httpx
        import requests
    except ImportError:
        return error
    from ._adopt import requests_response
    from ._retry import RetryError

    if isinstance(error, RetryError):  # an adopted session's urllib3 Retry ran out
        return requests.exceptions.RetryError(str(error))
    for httpx_name, requests_name in HTTPX_TO_REQUESTS:
        if isinstance(error, getattr(httpx, httpx_name)):
            legacy_type = getattr(requests.exceptions, requests_name)
            if isinstance(error, httpx.HTTPStatusError):
                converted: BaseException = legacy_type(
                    str(error), response=requests_response(error.response))
            else:
                converted = legacy_type(str(error))
            return converted
    return error


def legacy_decorator(decorator: Callable[[Any], Any], *,
                     injects: Collection[str] = ()) -> Callable[[Any], Any]:
    """Apply a legacy view decorator (``@require_token``) to a migrated view: what the
    decorator returns instead of calling the view (a Flask tuple or response) becomes a
    response the way Flask would make it, and FastAPI still sees the view's own signature —
    without ``injects``, the view's parameters that are not URL variables: Flask passes a
    view only its URL variables, so the decorator supplies those (``def view(current_user)``
    under a ``token_required`` that calls ``f(user, *args, **kwargs)``), and FastAPI must not
    ask the request for them."""

    def apply(view: Callable[..., Any]) -> Callable[..., Any]:
        decorated = decorator(view)
        adapted: Any
        if inspect.iscoroutinefunction(view):

            @functools.wraps(view)
            async def adapted_async(*args: Any, **kwargs: Any) -> Any:
                rv = decorated(*args, **kwargs)
                if inspect.isawaitable(rv):
                    rv = await rv
                return flask_response(rv)

            adapted = adapted_async
        else:

            @functools.wraps(view)
            def adapted_sync(*args: Any, **kwargs: Any) -> Any:
                return flask_response(decorated(*args, **kwargs))

            adapted = adapted_sync
        if injects:
            signature = inspect.signature(view)
            adapted.__signature__ = signature.replace(
                parameters=[p for p in signature.parameters.values() if p.name not in injects])
        return adapted  # type: ignore[no-any-return]

    return apply


def _plain(router: APIRouter) -> bool:
    """Whether ``router`` holds nothing but its routes: every one a plain ``APIRoute`` whose
    settings (the router's own merged in) the route itself carries, no nested routers,
    mounts or event handlers, a path prefix without parameters."""
    from fastapi.routing import APIRoute

    return (all(type(route) is APIRoute for route in router.routes)
            and not router.on_startup and not router.on_shutdown
            and type(router.lifespan_context) is type(APIRouter().lifespan_context)
            and router.max_body_size is None and not router.form_limits
            and not getattr(router, "_low_priority_routes", None)
            and not getattr(router, "_frontend_routes", None))


# What APIRouter.add_api_route takes that an APIRoute keeps under the same name.
_ROUTE_OPTIONS = ("response_model", "status_code", "tags", "dependencies", "summary",
                  "description", "response_description", "responses", "deprecated",
                  "methods", "operation_id", "response_model_include",
                  "response_model_exclude", "response_model_by_alias",
                  "response_model_exclude_unset", "response_model_exclude_defaults",
                  "response_model_exclude_none", "include_in_schema", "response_class",
                  "name", "callbacks", "openapi_extra", "generate_unique_id_function",
                  "strict_content_type", "max_body_size", "form_limits")


def include(app: FastAPI, router: APIRouter, prefix: str = "") -> None:
    """``app.include_router(router, prefix=prefix)``, with the routes of a plain router
    (:func:`_plain`) added to the app itself: FastAPI matches an included router's routes
    through a per-request context of its own (twice: to pick the router, then the route),
    which cost about 35 µs of every migrated request (``benchmarks/request_cpu.py``). The
    routes answer as they would included: the same options, the app's merged in the same
    way (``add_api_route`` is what including does for each route)."""
    if "{" in prefix or not _plain(router):
        app.include_router(router, prefix=prefix)
        return
    for route in router.routes:
        app.router.add_api_route(prefix + route.path, route.endpoint,  # type: ignore[attr-defined]
                                 **{name: getattr(route, name) for name in _ROUTE_OPTIONS})


async def _let_through(request: Request, exc: Exception) -> Response:
    raise exc


def combine(legacy: Any, routers: Sequence[tuple[APIRouter, str]], *,
            rollout: Rollout | None = None, inline_hooks: Collection[str] = (),
            **kwargs: Any) -> FastAPI:
    """The combined app: ``routers`` (each with its URL prefix) answer first, inside the
    legacy request context (:class:`LegacyContext`); every other path goes to the legacy WSGI
    app (a2wsgi). With ``rollout``, its router decides per request which side answers a
    migrated route (:mod:`asyncify.rollout`). ``inline_hooks``: the legacy hooks known to do
    no I/O (qualified names); when they are all the app has, they run on the event loop
    instead of a worker thread (:meth:`LegacyContext._hooks_inline`)."""
    from a2wsgi import WSGIMiddleware

    from ._lifespan import serving_lifespan

    set_flask_app(legacy)
    if not {"lifespan", "on_startup", "on_shutdown"} & set(kwargs):
        kwargs["lifespan"] = serving_lifespan  # frozen heap; clients closed at the end
    app = FastAPI(redirect_slashes=False, **kwargs)
    for router, prefix in routers:
        include(app, router, prefix)
    migrated = list(app.router.routes)
    # Errors of migrated routes are answered in LegacyContext: FastAPI's own HTTPException
    # handler (a {"detail": …} body) must let them through.
    app.add_exception_handler(StarletteHTTPException, _let_through)
    app.add_middleware(LegacyContext, legacy=legacy, routes=migrated,
                       inline_hooks=inline_hooks)
    # a2wsgi types its ASGI callable with the spec's TypedDicts, Starlette with plain mappings.
    legacy_app = WSGIMiddleware(_own_context(legacy))
    app.mount("/", legacy_app)  # type: ignore[arg-type]
    if rollout is not None:
        rollout.install(app, legacy=legacy, legacy_app=legacy_app,  # type: ignore[arg-type]
                        routes=migrated)
    return app
