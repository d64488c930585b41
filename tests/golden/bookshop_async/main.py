"""The combined app, written by `asyncify apply` (re-run it; do not edit by hand).

The migrated endpoints answer from their async twins, inside the legacy app's request
context (its before_request hooks, g, config and error handlers still apply); every
other path goes to the legacy Flask app. With ASYNCIFY_FLAGS set (a flag file or a
Redis URL), asyncify.rollout decides per request which one serves a migrated
endpoint: `asyncify flags` moves each through legacy, shadow, canary and async.

Serve it with uvicorn's `--loop asyncify.serving:fair_accept_loop` (uvloop that
accepts a burst of new connections at once: see asyncify.serving).
"""

from asyncify.compat import combine, flask_view
from asyncify.rollout import Rollout
from fastapi import APIRouter

from bookshop.app import create_app
from bookshop_async.views import admin, books, meta, orders, tools

legacy = create_app()

# The routes the legacy app declares on itself, not on a blueprint.
app_routes = APIRouter()
app_routes.add_api_route("/", flask_view(meta.index), methods=["GET", "HEAD"], name="index")
app_routes.add_api_route("/health", flask_view(meta.health), methods=["GET", "HEAD"], name="health")

app = combine(
    legacy,
    [
        (books.bp, "/api/books"),
        (orders.bp, "/api/orders"),
        (admin.bp, "/admin"),
        (tools.bp, "/api/tools"),
        (app_routes, ""),
    ],
    rollout=Rollout.configured(),
    # The legacy request hooks, which do no I/O: they run on the event loop.
    inline_hooks=[
        "bookshop.auth.check_token",
        "bookshop.tracing.assign_request_id",
        "bookshop.tracing.echo_request_id",
    ],
)
