"""Error handlers: upstream failures become 502/503/504 (or the upstream's 404/422)."""

from __future__ import annotations

import logging

import requests
from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException

from .cart import CartError

log = logging.getLogger(__name__)

PASSED_THROUGH = frozenset({404, 422})


def _upstream_message(response: requests.Response | None) -> str:
    try:
        return str(response.json()["error"])  # type: ignore[union-attr]
    except (AttributeError, KeyError, TypeError, ValueError):
        return "upstream request failed"


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(requests.exceptions.Timeout)
    def upstream_timeout(exc: requests.exceptions.Timeout):
        log.warning("upstream timeout: %s", exc)
        return jsonify(error="upstream_timeout", message="upstream did not answer in time"), 504

    @app.errorhandler(requests.exceptions.ConnectionError)
    def upstream_unreachable(exc: requests.exceptions.ConnectionError):
        log.warning("upstream unreachable: %s", exc)
        return jsonify(error="upstream_unreachable", message="cannot reach upstream"), 502

    @app.errorhandler(requests.exceptions.RetryError)
    def upstream_unavailable(exc: requests.exceptions.RetryError):
        return jsonify(error="upstream_unavailable", message="upstream kept failing"), 503

    @app.errorhandler(requests.exceptions.HTTPError)
    def upstream_status(exc: requests.exceptions.HTTPError):
        status = exc.response.status_code if exc.response is not None else 502
        if status in PASSED_THROUGH:
            error = "not_found" if status == 404 else "invalid_request"
            return jsonify(error=error, message=_upstream_message(exc.response)), status
        return jsonify(error="upstream_error", upstream_status=status), 502

    @app.errorhandler(requests.exceptions.JSONDecodeError)
    def upstream_garbage(exc: requests.exceptions.JSONDecodeError):
        return jsonify(error="bad_upstream_payload", message="upstream sent invalid JSON"), 502

    @app.errorhandler(CartError)
    def invalid_cart(exc: CartError):
        return jsonify(valid=False, errors=exc.problems), 422

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        return jsonify(error=exc.name.lower().replace(" ", "_"), message=exc.description), exc.code
