"""The migrated app standing alone, written by `asyncify apply` (re-run it; do not edit
by hand). Serve it once every endpoint is migrated: the legacy Flask app is not mounted; its
object still provides the request context (g, request, config), the before/after request
hooks and the error handlers the migrated code relies on (asyncify.compat.standalone).
Serve it with uvicorn's `--loop asyncify.serving:fair_accept_loop` (see asyncify.serving).

Every endpoint `apply` can migrate is applied.

Served by their legacy view functions (declared inside a function, which `apply`
cannot import):
- GET /version (bookshop.app.create_app.<locals>.version)
"""

from asyncify.compat import flask_view, standalone
from fastapi import APIRouter

from bookshop.app import create_app
from bookshop_async.views import admin, books, meta, orders, tools

# The routes the legacy app declares on itself, not on a blueprint.
app_routes = APIRouter()
app_routes.add_api_route("/", flask_view(meta.index), methods=["GET", "HEAD"], name="index")
app_routes.add_api_route("/health", flask_view(meta.health), methods=["GET", "HEAD"], name="health")

app = standalone(
    create_app(),
    [
        (books.bp, "/api/books"),
        (orders.bp, "/api/orders"),
        (admin.bp, "/admin"),
        (tools.bp, "/api/tools"),
        (app_routes, ""),
    ],
    legacy_views=["version"],
    # The legacy request hooks, which do no I/O: they run on the event loop.
    inline_hooks=[
        "bookshop.auth.check_token",
        "bookshop.tracing.assign_request_id",
        "bookshop.tracing.echo_request_id",
    ],
)
