"""The service's exceptions and the handlers that turn every error into a JSON body."""

from __future__ import annotations

import logging
from typing import Any

import requests
from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


class BookshopError(Exception):
    """A failure the client can act on; rendered as ``{"error": code, "message": ...}``."""

    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class NotFound(BookshopError):
    status_code = 404
    code = "not_found"


class InvalidOrder(BookshopError):
    status_code = 422
    code = "invalid_order"


class InsufficientStock(BookshopError):
    status_code = 409
    code = "insufficient_stock"


class OrderNotCancellable(BookshopError):
    status_code = 409
    code = "not_cancellable"


class ShippingUnavailable(BookshopError):
    status_code = 422
    code = "shipping_unavailable"


def _slug(name: str) -> str:
    return name.lower().replace(" ", "_").replace("'", "")


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(BookshopError)
    def handle_bookshop_error(exc: BookshopError):
        return jsonify(error=exc.code, message=exc.message, **exc.details), exc.status_code

    @app.errorhandler(404)
    def handle_not_found(exc: HTTPException):
        return jsonify(error="not_found", message=exc.description), 404

    @app.errorhandler(HTTPException)
    def handle_http_error(exc: HTTPException):
        return jsonify(error=_slug(exc.name), message=exc.description), exc.code

    @app.errorhandler(requests.Timeout)
    def handle_upstream_timeout(exc: requests.Timeout):
        log.warning("upstream timeout: %s", exc)
        return jsonify(error="upstream_timeout", message="an upstream service timed out"), 504

    @app.errorhandler(requests.RequestException)
    def handle_upstream_error(exc: requests.RequestException):
        status = exc.response.status_code if exc.response is not None else None
        log.warning("upstream failure (status %s): %s", status, exc)
        body = jsonify(
            error="upstream_error", message="an upstream service failed", upstream_status=status
        )
        return body, 502

    @app.errorhandler(500)
    def handle_internal_error(exc: HTTPException):
        return jsonify(error="internal_error", message="unexpected server error"), 500
