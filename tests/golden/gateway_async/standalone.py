"""The migrated app standing alone, written by `asyncify apply` (re-run it; do not edit
by hand). Serve it once every endpoint is migrated: the legacy Flask app is not mounted; its
object still provides the request context (g, request, config), the before/after request
hooks and the error handlers the migrated code relies on (asyncify.compat.standalone).
Serve it with uvicorn's `--loop asyncify.serving:fair_accept_loop` (see asyncify.serving).

Every endpoint `apply` can migrate is applied.

Served by their legacy view functions (applied, but what they return is not converted;
a streamed body is sent once complete):
- GET /api/products/<sku>/reviews/stream (gateway.views.products.product_reviews_stream)
"""

from asyncify.compat import flask_view, standalone
from fastapi import APIRouter

from gateway.app import create_app
from gateway_async import app as gateway_async_app
from gateway_async.views import products, shop

# The routes the legacy app declares on itself, not on a blueprint.
app_routes = APIRouter()
app_routes.add_api_route(
    "/healthz", flask_view(gateway_async_app.healthz), methods=["GET", "HEAD"], name="healthz"
)

app = standalone(
    create_app(),
    [
        (shop.bp, "/api"),
        (products.bp, "/api/products"),
        (app_routes, ""),
    ],
    legacy_views=["products.product_reviews_stream"],
    # The legacy request hooks, which do no I/O: they run on the event loop.
    inline_hooks=[
        "gateway.tracing.assign_request_id",
        "gateway.tracing.echo_request_id",
    ],
)
