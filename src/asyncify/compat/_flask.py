"""Runtime helpers that keep a Flask app's HTTP behaviour after the Flask → FastAPI rewrite.

The ASY1xx rewrites emit calls to these wherever FastAPI differs from Flask in a way the
generated code cannot express by itself (semantics.md §3): Flask's JSON encoding, its
``make_response`` rules for returned values, its HTML error pages, the 302 redirect default,
the 308 trailing-slash redirect, lenient ``request.args.get(type=...)``, before_request hooks
that return a response, ``url_for`` with query arguments, and the legacy app's config.
Error pages and redirect bodies are produced by Werkzeug itself, so they are byte-identical.
"""

from __future__ import annotations

import dataclasses
import decimal
import functools
import inspect
import itertools
import json
import uuid
from collections.abc import Awaitable, Callable, Mapping
from datetime import date
from typing import Any, NoReturn, TypeVar
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from pydantic import BeforeValidator
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.routing import Match, NoMatchFound
from starlette.types import Receive, Scope, Send
from werkzeug import exceptions as wz
from werkzeug.http import http_date
from werkzeug.utils import redirect as wz_redirect

T = TypeVar("T")
_HTML = "text/html; charset=utf-8"


def _default(o: Any) -> Any:
    # Flask 3's DefaultJSONProvider.default, type for type (flask/json/provider.py).
    if isinstance(o, date):
        return http_date(o)
    if isinstance(o, decimal.Decimal | uuid.UUID):
        return str(o)
    if dataclasses.is_dataclass(o) and not isinstance(o, type):
        return dataclasses.asdict(o)
    if hasattr(o, "__html__"):
        return str(o.__html__())
    raise TypeError(f"Object of type {type(o).__name__} is not JSON serializable")


def flask_dumps(obj: Any) -> str:
    """``obj`` as Flask's ``jsonify`` writes it (without the trailing newline): sorted keys,
    ASCII escapes, compact separators, HTTP dates, Decimal/UUID as strings, dataclasses."""
    return json.dumps(obj, default=_default, ensure_ascii=True, sort_keys=True,
                      separators=(",", ":"))


class FlaskJSONResponse(Response):
    """A JSON response whose bytes equal Flask's ``jsonify``/dict return for the same value
    (``application/json`` without a charset, a trailing newline)."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return f"{flask_dumps(content)}\n".encode("ascii")


def jsonify(*args: Any, **kwargs: Any) -> FlaskJSONResponse:
    """Flask's ``jsonify``: one positional value, several (a list), or keywords (a dict).

    :raises TypeError: both positional and keyword arguments, as Flask does.
    """
    if args and kwargs:
        raise TypeError("jsonify() behavior undefined when passed both args and kwargs")
    return FlaskJSONResponse(kwargs or (args[0] if len(args) == 1 else list(args) or None))


class FlaskHTTPException(StarletteHTTPException):
    """What :func:`abort` raises: a Starlette ``HTTPException`` that remembers Flask's
    ``description`` (``detail`` holds it too)."""

    def __init__(self, code: int, description: str | None = None) -> None:
        self.description = description
        text = description if description is not None else _werkzeug_class(code).description
        super().__init__(code, detail=text)


def _werkzeug_class(code: int) -> type[wz.HTTPException]:
    found = wz.default_exceptions.get(code)
    if found is None:
        raise LookupError(f"no exception for {code!r}")  # the same error as Flask's abort
    return found


def abort(code: int, description: str | None = None) -> NoReturn:
    """Flask's ``abort(code, description=...)``.

    :raises FlaskHTTPException: always.
    :raises LookupError: ``code`` is not an HTTP error code Werkzeug knows.
    """
    raise FlaskHTTPException(code, description)


def as_werkzeug(exc: StarletteHTTPException) -> wz.HTTPException:
    """The Werkzeug exception Flask would have raised: what an ``errorhandler`` expects
    (``.code``, ``.name``, ``.description``, ``get_response()``)."""
    cls = _werkzeug_class(exc.status_code)
    description = exc.description if isinstance(exc, FlaskHTTPException) else None
    if cls is wz.MethodNotAllowed:
        allow = (exc.headers or {}).get("Allow", "")
        return wz.MethodNotAllowed([m.strip() for m in allow.split(",") if m.strip()],
                                   description=description)
    return cls(description=description)


def from_werkzeug(response: Any) -> Response:
    """A Werkzeug response as a Starlette one, same status, headers and bytes."""
    out = Response(b"".join(response.iter_encoded()), status_code=response.status_code)
    out.raw_headers = [(k.lower().encode("latin-1"), v.encode("latin-1"))
                       for k, v in response.headers.items()]
    return out


def error_page(exc: StarletteHTTPException) -> Response:
    """Flask's default HTML error page for ``exc`` (Werkzeug renders it)."""
    return from_werkzeug(as_werkzeug(exc).get_response())


def redirect(location: str, code: int = 302) -> Response:
    """Flask 3.1's ``redirect``: 302 by default, Werkzeug's HTML body, the Location as
    given (relative stays relative)."""
    return from_werkzeug(wz_redirect(location, code))


def flask_response(rv: Any, status: int | str | None = None, headers: Any = None) -> Response:
    """What Flask's ``make_response`` makes of a view's return value: a ``(body, status,
    headers)`` / ``(body, status)`` / ``(body, headers)`` tuple, a dict or list (JSON), a str
    or bytes (HTML), or a response (status and headers applied on top).

    :raises TypeError: ``None`` or a value Flask would not accept, as Flask does (a 500).
    """
    if isinstance(rv, tuple):
        if len(rv) == 3:
            rv, status, headers = rv
        elif len(rv) == 2:
            if isinstance(rv[1], Mapping | tuple | list):
                rv, headers = rv
            else:
                rv, status = rv
        else:
            raise TypeError("The view function did not return a valid response tuple.")
    if rv is None:
        raise TypeError("The view function did not return a valid response. The function "
                        "either returned None or ended without a return statement.")
    if isinstance(rv, Response):
        response = rv
    elif _is_werkzeug_response(rv):
        # A legacy helper (a decorator, an error helper) returned Flask's own response.
        response = from_werkzeug(rv)
    elif isinstance(rv, str | bytes | bytearray):
        response = Response(bytes(rv) if not isinstance(rv, str) else rv, media_type=_HTML)
    elif isinstance(rv, dict | list):
        response = FlaskJSONResponse(rv)
    else:
        raise TypeError(f"The view function did not return a valid response: "
                        f"{type(rv).__name__!r} is not a str, bytes, dict, list or Response.")
    if status is not None:
        response.status_code = int(str(status).split()[0])
    if headers:
        pairs = headers.items() if isinstance(headers, Mapping) else headers
        for key, value in pairs:
            response.headers[key] = str(value)
    return response


def _is_werkzeug_response(value: Any) -> bool:
    from werkzeug.wrappers import Response as WerkzeugResponse

    return isinstance(value, WerkzeugResponse)


def lenient(type_: Callable[[str], T], default: T) -> BeforeValidator:
    """For ``Annotated[T, Query(), lenient(int, 1)]``: like ``request.args.get(k, 1,
    type=int)``, a value ``type_`` rejects gives the default instead of a 422."""

    def convert(value: Any) -> Any:
        try:
            return type_(value)
        except (TypeError, ValueError):
            return default

    return BeforeValidator(convert)


class ShortCircuit(Exception):
    """Raised by a :func:`before_request` dependency whose hook returned a response."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


def before_request(hook: Callable[..., Any]) -> Callable[..., Any]:
    """A FastAPI dependency running a Flask ``before_request`` hook: when the hook returns a
    value, that value (through Flask's rules) is the response and the view does not run.
    The hook's parameters (``request: Request``…) are injected as for any dependency."""
    if inspect.iscoroutinefunction(hook):
        async def run_async(*args: Any, **kwargs: Any) -> None:
            rv = await hook(*args, **kwargs)
            if rv is not None:
                raise ShortCircuit(flask_response(rv))

        dependency: Callable[..., Any] = run_async
    else:
        def run_sync(*args: Any, **kwargs: Any) -> None:
            rv = hook(*args, **kwargs)
            if rv is not None:
                raise ShortCircuit(flask_response(rv))

        dependency = run_sync
    dependency.__signature__ = inspect.signature(hook)  # type: ignore[attr-defined]
    dependency.__name__ = getattr(hook, "__name__", "before_request")
    return dependency


def flask_error_handler(
    handler: Callable[[Any], Any],
) -> Callable[[Request, Exception], Awaitable[Response]]:
    """Adapts a Flask ``errorhandler`` function (``handler(exc)`` returning anything a view
    may return) to a Starlette exception handler. HTTP errors reach it as the Werkzeug
    exception Flask would pass, with ``.code``, ``.name`` and ``.description``."""

    @functools.wraps(handler)
    async def adapted(request: Request, exc: Exception) -> Response:
        arg: Any = as_werkzeug(exc) if isinstance(exc, StarletteHTTPException) else exc
        if inspect.iscoroutinefunction(handler):
            rv = await handler(arg)
        else:
            rv = await run_in_threadpool(handler, arg)
        return flask_response(rv)

    return adapted


def url_for(request: Request, endpoint: str, **values: Any) -> str:
    """Flask's relative ``url_for``: path parameters fill the route, the other values
    (``None`` dropped) become the query string; ``_external=True`` gives an absolute URL.

    :raises starlette.routing.NoMatchFound: no route has that name and those parameters.
    """
    if "app" in _legacy:
        try:
            _path_for(request, endpoint, dict(values))
        except NoMatchFound:
            # Not a migrated route: the legacy app, whose request context the combined app
            # pushed, builds it.
            import flask

            return str(flask.url_for(endpoint, **values))
    external = values.pop("_external", False)
    anchor = values.pop("_anchor", None)
    path, names = _path_for(request, endpoint, values)
    url = str(path.make_absolute_url(request.base_url)) if external else str(path)
    query = [(k, v) for k, v in values.items() if k not in names and v is not None]
    if query:
        url += "?" + urlencode(query, safe="!$'()*,/:;?@")
    return url + (f"#{anchor}" if anchor else "")


def _path_for(request: Request, endpoint: str, values: dict[str, Any]) -> tuple[Any, set[str]]:
    # A route matches only the exact set of its path parameters: try the largest subsets of
    # the values first (routes can sit in included routers, so no table is read).
    keys = list(values)
    for size in range(len(keys), -1, -1):
        for chosen in itertools.combinations(keys, size):
            try:
                path = request.app.url_path_for(endpoint, **{k: values[k] for k in chosen})
            except NoMatchFound:
                continue
            return path, set(chosen)
    raise NoMatchFound(endpoint, values)


_legacy: dict[str, Any] = {}


def set_flask_app(app: Any) -> None:
    """Register the legacy Flask app (built by its own factory), so migrated code can read
    its ``config`` with :func:`current_config`."""
    _legacy["app"] = app


def current_config() -> Mapping[str, Any]:
    """The legacy Flask app's ``config`` (``current_app.config`` in the old code).

    :raises RuntimeError: :func:`set_flask_app` was not called (call it where the combined
    app is built).
    """
    app = _legacy.get("app")
    if app is None:
        raise RuntimeError("no legacy Flask app registered: call "
                           "asyncify.compat.set_flask_app(create_app()) when building the app")
    config: Mapping[str, Any] = app.config
    return config


async def _short_circuit(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ShortCircuit)
    return exc.response


async def _error_page(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code < 400:  # e.g. HTTPException(304) raised by hand: no body
        return Response(status_code=exc.status_code, headers=exc.headers)
    return error_page(exc)


def flask_app(**kwargs: Any) -> FastAPI:
    """A FastAPI app that behaves like ``Flask(__name__)`` at the edges: Flask's HTML error
    pages for HTTP errors nobody handles (router 404/405 included), Werkzeug's 308 redirect
    from ``/x`` to the route ``/x/`` (and no redirect from ``/x/`` to ``/x``), and
    responses returned by :func:`before_request` hooks. ``kwargs`` go to ``FastAPI``."""
    app = FastAPI(**{"redirect_slashes": False, **kwargs})
    app.add_exception_handler(StarletteHTTPException, _error_page)
    app.add_exception_handler(ShortCircuit, _short_circuit)
    not_found = app.router.default

    async def slash_or_not_found(scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] == "http" and not path.endswith("/"):
            slashed = {**scope, "path": path + "/"}
            for route in app.router.routes:
                if route.matches(slashed)[0] != Match.NONE:
                    url = Request(scope).url
                    target = str(url.replace(path=url.path + "/"))
                    await from_werkzeug(wz_redirect(target, 308))(scope, receive, send)
                    return
        await not_found(scope, receive, send)

    app.router.default = slash_or_not_found
    return app


async def _json_or_error(request: Request, silent: bool) -> Any:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if not (content_type == "application/json"
            or (content_type.startswith("application/") and content_type.endswith("+json"))):
        if silent:
            return None
        abort(415, "Did not attempt to load JSON data because the request Content-Type was "
                   "not 'application/json'.")
    try:
        return json.loads(await request.body())
    except ValueError:
        if silent:
            return None
        abort(400)  # Flask outside debug mode: a bare BadRequest


async def get_json(request: Request) -> Any:
    """A dependency for ``request.get_json()``: the parsed body; a non-JSON Content-Type
    is a 415 and a malformed body a 400, as in Flask."""
    return await _json_or_error(request, silent=False)


async def get_json_silent(request: Request) -> Any:
    """A dependency for ``request.get_json(silent=True)``: ``None`` instead of an error."""
    return await _json_or_error(request, silent=True)
