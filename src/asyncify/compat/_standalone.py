"""The migrated app standing alone: the twins' routers without the legacy app mounted.

When every blueprint endpoint is migrated, the combined app's a2wsgi mount only serves what
`apply` cannot migrate. :func:`standalone` builds the FastAPI app without it:

- a lifespan registers the shared ``httpx.AsyncClient`` for the serving loop and closes it,
  and the loop's asyncpg pool, at shutdown (twins create the pool on first use with the
  legacy app's settings, through ``asyncify.compat.db_pool``);
- the legacy app's error handlers are FastAPI exception handlers: for HTTP errors (the
  router's 404 and 405 included, as Werkzeug exceptions) and for each exception class the
  legacy app handles (an httpx error reaches a handler written for the requests error it
  replaces); anything else is Flask's 500 handler, as before;
- the legacy ``before_request``/``after_request`` hooks run as middleware around every
  request (a response a hook returns answers), with Werkzeug's 308 redirect to the route with
  a trailing slash (:func:`asyncify.compat.flask_app`).

What is still Flask: the legacy app *object*, used as a library. The pure helpers the twins
import (and the hooks and error handlers) read ``flask.request``, ``g`` and
``current_app.config``, so each request runs inside a Flask request context built from the
ASGI request (:class:`asyncify.compat.LegacyContext`); no Flask routing or WSGI serves
anything. Routes ``apply`` cannot migrate (declared on the app object, a closure in the
factory) can be named in ``legacy_views``: they are served by calling the legacy view
function in that context, in a worker thread, and listed as such in the generated module.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from ._flask import flask_app, flask_response, set_flask_app
from ._legacy import LegacyContext, include, legacy_error_response

_CONVERTER = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")
_CONVERTORS = {"int": ":int", "path": ":path", "uuid": ":uuid", "float": ":float"}


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    from ._http import set_http_client
    from ._lifespan import serving_lifespan
    from ._transport import new_client

    set_http_client(new_client())  # made at startup; serving_lifespan closes it
    async with serving_lifespan(app):
        yield


def _legacy_handler(legacy: Any) -> Any:
    async def handle(request: Request, exc: Exception) -> Response:
        return await run_in_threadpool(legacy_error_response, legacy, exc)

    return handle


def _handled_classes(legacy: Any) -> list[type[Exception]]:
    """The exception classes the legacy app's error handlers catch (app-wide), with the
    httpx classes that replace the requests ones."""
    from ._legacy import HTTPX_TO_REQUESTS

    # Werkzeug's HTTPException: what a legacy helper's flask.abort raises (the code-keyed
    # handlers are found by Flask from there).
    classes: list[type[Exception]] = [_werkzeug_http()]
    for by_class in legacy.error_handler_spec.get(None, {}).values():
        classes.extend(c for c in by_class if not issubclass(c, _werkzeug_http()))
    try:
        import httpx
        import requests
    except ImportError:
        return classes
    for httpx_name, requests_name in HTTPX_TO_REQUESTS:
        replaced = getattr(requests.exceptions, requests_name)
        if any(issubclass(replaced, c) for c in classes):
            classes.append(getattr(httpx, httpx_name))
    return classes


def _werkzeug_http() -> type[Exception]:
    from werkzeug.exceptions import HTTPException

    return HTTPException


def _legacy_view_route(legacy: Any, endpoint: str) -> APIRouter:
    """A route per URL rule of ``endpoint`` that calls the legacy view function (inside the
    request context :class:`LegacyContext` pushed), its value made a response by Flask's
    rules."""
    router = APIRouter()
    view = legacy.view_functions[endpoint]
    for rule in legacy.url_map.iter_rules(endpoint):
        path = _CONVERTER.sub(
            lambda m: "{" + m.group(2) + _CONVERTORS.get(m.group(1) or "", "") + "}", rule.rule)

        def call(request: Request, view: Any = view) -> Response:
            return flask_response(view(**request.path_params))

        async def endpoint_view(request: Request, call: Any = call) -> Response:
            result: Response = await run_in_threadpool(call, request)
            return result

        # OPTIONS: Flask answers it by itself; here it is a 405, as for migrated routes.
        methods = sorted(set(rule.methods or ("GET",)) - {"OPTIONS"})
        router.add_api_route(path, endpoint_view, methods=methods,
                             name=endpoint, include_in_schema=False)
    return router


def standalone(
    legacy: Any,
    routers: Sequence[tuple[APIRouter, str]],
    *,
    legacy_views: Sequence[str] = (),
    inline_hooks: Sequence[str] = (),
    **kwargs: Any,
) -> FastAPI:
    """The migrated app without the legacy WSGI app: ``routers`` (each with its URL
    prefix), the legacy hooks around every request and the legacy error handlers as
    exception handlers; ``legacy_views`` (Flask endpoint names) are served by calling their
    legacy view functions. ``kwargs`` go to ``FastAPI``.

    :raises KeyError: a name in ``legacy_views`` is not an endpoint of ``legacy``.
    """
    set_flask_app(legacy)
    app = flask_app(lifespan=_lifespan, **kwargs)
    for router, prefix in routers:
        include(app, router, prefix)
    for endpoint in legacy_views:
        if endpoint not in legacy.view_functions:
            raise KeyError(f"{endpoint!r} is not an endpoint of the legacy app (known: "
                           f"{', '.join(sorted(legacy.view_functions))})")
        app.include_router(_legacy_view_route(legacy, endpoint))
    handler = _legacy_handler(legacy)
    app.add_exception_handler(StarletteHTTPException, handler)
    for cls in _handled_classes(legacy):
        app.add_exception_handler(cls, handler)
    app.add_middleware(LegacyContext, legacy=legacy, routes=None, inline_hooks=inline_hooks)
    return app
