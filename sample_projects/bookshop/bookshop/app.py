"""The application factory."""

from __future__ import annotations

from typing import Any

from flask import Flask

from . import db, settings, tracing
from .errors import register_error_handlers
from .views import admin, books, meta, orders, tools

__version__ = "1.4.2"


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, static_folder=None)  # a JSON API: no /static route
    app.config.from_mapping(settings.from_env())
    if config:
        app.config.update(config)

    db.init_app(app)
    register_error_handlers(app)
    app.before_request(tracing.assign_request_id)
    app.after_request(tracing.echo_request_id)

    app.add_url_rule("/health", view_func=meta.health)
    app.add_url_rule("/", "index", meta.index)

    @app.get("/version")
    def version():
        return {"name": "bookshop", "version": __version__}

    app.register_blueprint(books.bp, url_prefix="/api/books")
    app.register_blueprint(orders.bp, url_prefix="/api/orders")
    app.register_blueprint(tools.bp, url_prefix="/api/tools")
    app.register_blueprint(admin.bp, url_prefix="/admin")
    return app
