"""Request ids: taken from ``X-Request-Id`` (or made up), echoed back, sent upstream."""

from __future__ import annotations

import uuid

from flask import Response, g, request


def assign_request_id() -> None:
    g.request_id = request.headers.get("X-Request-Id") or uuid.uuid4().hex


def echo_request_id(response: Response) -> Response:
    response.headers["X-Request-Id"] = g.get("request_id", "")
    return response


def upstream_headers() -> dict[str, str]:
    return {"X-Request-Id": g.get("request_id", "")}
