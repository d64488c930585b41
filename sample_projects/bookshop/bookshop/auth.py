"""Shared-token authentication: ``X-Api-Token`` must equal the configured API_TOKEN."""

from __future__ import annotations

import functools
import hmac
from collections.abc import Callable
from typing import Any

from flask import current_app, jsonify, request


def token_is_valid() -> bool:
    expected = current_app.config["API_TOKEN"]
    supplied = request.headers.get("X-Api-Token", "")
    return bool(expected) and hmac.compare_digest(supplied.encode(), expected.encode())


def unauthorized():
    body = jsonify(error="unauthorized", message="missing or invalid X-Api-Token")
    return body, 401, {"WWW-Authenticate": 'Token realm="bookshop"'}


def check_token():
    """A ``before_request`` hook: returning a response stops the request there."""
    if not token_is_valid():
        return unauthorized()
    return None


def require_token(view: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not token_is_valid():
            return unauthorized()
        return view(*args, **kwargs)

    return wrapper
