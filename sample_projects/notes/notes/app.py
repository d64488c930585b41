"""The app factory: settings from the environment, the extension, blueprints, JSON errors."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask
from werkzeug.exceptions import HTTPException

from .extensions import db
from .views import library, notes


def create_app() -> Flask:
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = database_uri(
        os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/notes")
    )
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_size": 4, "max_overflow": 4}
    db.init_app(app)
    app.register_blueprint(notes.bp, url_prefix="/api/notes")
    app.register_blueprint(library.bp, url_prefix="/api")
    app.add_url_rule("/health", view_func=health)
    app.register_error_handler(HTTPException, http_error)
    return app


def database_uri(url: str) -> str:
    """Name the driver: SQLAlchemy 2.1 maps a bare ``postgresql://`` to psycopg 3."""
    if url.startswith("postgresql://"):
        return "postgresql+psycopg2://" + url.removeprefix("postgresql://")
    return url


def health() -> dict[str, str]:
    return {"status": "ok"}


def http_error(error: HTTPException) -> tuple[dict[str, Any], int]:
    return {"error": error.name, "message": error.description}, error.code or 500
