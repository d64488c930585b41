"""What the hand-written ceiling apps share to answer byte for byte like Flask: its JSON
encoding, its redirect page, its error bodies, request ids, and Flask's query-argument rules.

Kept tiny and dependency-free (Starlette only) so the ceiling measures FastAPI + asyncpg +
httpx, not a compatibility layer.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import decimal
import html
import json
import uuid
from collections.abc import Callable
from email.utils import format_datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")

NOT_FOUND = ("The requested URL was not found on the server. If you entered the URL manually "
             "please check your spelling and try again.")
NOT_ALLOWED = "The method is not allowed for the requested URL."
INTERNAL = ("The server encountered an internal error and was unable to complete your "
            "request. Either the server is overloaded or there is an error in the application.")


def _default(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return format_datetime(aware.astimezone(dt.UTC), usegmt=True)
    if isinstance(value, dt.date):
        return format_datetime(dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC),
                               usegmt=True)
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def dumps(value: Any) -> bytes:
    """Flask's ``jsonify`` bytes: sorted keys, ASCII escapes, compact, a trailing newline."""
    text = json.dumps(value, default=_default, ensure_ascii=True, sort_keys=True,
                      separators=(",", ":"))
    return (text + "\n").encode()


def jsonify(value: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(dumps(value), status, headers, media_type="application/json")


def error(status: int, name: str, message: str) -> Response:
    """A Flask ``HTTPException`` rendered by the apps' handler: ``{"error", "message"}``."""
    return jsonify({"error": name, "message": message}, status)


def redirect(location: str, status: int = 302) -> Response:
    escaped = html.escape(location)
    page = (
        "<!doctype html>\n<html lang=en>\n<title>Redirecting...</title>\n"
        "<h1>Redirecting...</h1>\n<p>You should be redirected automatically to the target URL: "
        f'<a href="{escaped}">{escaped}</a>. If not, click the link.\n'
    )
    return Response(page, status, {"Location": location}, media_type="text/html")


def arg(request: Request, name: str, default: Any, kind: Callable[[str], Any]) -> Any:
    """``request.args.get(name, default, type=kind)``: a bad value falls back silently."""
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        return kind(raw)
    except ValueError:
        return default


def upstream_headers() -> dict[str, str]:
    return {"X-Request-Id": request_id.get()}


class RequestIds:
    """``X-Request-Id`` taken from the request (or made up), echoed on every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        ident = ""
        for key, value in scope["headers"]:
            if key == b"x-request-id":
                ident = value.decode("latin-1")
                break
        ident = ident or uuid.uuid4().hex
        token = request_id.set(ident)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []),
                                      (b"x-request-id", ident.encode("latin-1"))]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            request_id.reset(token)
