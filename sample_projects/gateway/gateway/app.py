"""The application factory."""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify

from . import settings
from . import upstream as upstream_client
from .errors import register_error_handlers
from .tracing import assign_request_id, echo_request_id
from .views import products, shop


def healthz():
    return jsonify(status="ok", service="gateway")


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, static_folder=None)  # a JSON API: no /static route
    app.config.from_mapping(settings.from_env())
    if config:
        app.config.update(config)
    upstream_client.init_app(app)
    register_error_handlers(app)
    app.before_request(assign_request_id)
    app.after_request(echo_request_id)

    app.add_url_rule("/healthz", "healthz", healthz)
    app.register_blueprint(products.bp, url_prefix="/api/products")
    app.register_blueprint(shop.bp, url_prefix="/api")
    return app
