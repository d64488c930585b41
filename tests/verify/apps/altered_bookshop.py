"""The bookshop with two deliberate differences, for verify to catch: /version reports
another version, and a missing book answers 410 instead of 404."""

from __future__ import annotations

from bookshop.app import create_app as create_legacy_app
from flask import Flask, Response, request


def create_app() -> Flask:
    app = create_legacy_app()

    @app.after_request
    def alter(response: Response) -> Response:
        if request.path == "/version":
            response.set_data(b'{"name":"bookshop","version":"9.9.9"}\n')
        elif request.path.startswith("/api/books/") and response.status_code == 404:
            response.status_code = 410
        return response

    return app
