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

from gateway.app import create_app
from gateway_async import app as gateway_async_app
from gateway_async.views import products, shop

legacy = create_app()

# The routes the legacy app declares on itself, not on a blueprint.
app_routes = APIRouter()
app_routes.add_api_route(
    "/healthz", flask_view(gateway_async_app.healthz), methods=["GET", "HEAD"], name="healthz"
)

app = combine(
    legacy,
    [
        (shop.bp, "/api"),
        (products.bp, "/api/products"),
        (app_routes, ""),
    ],
    rollout=Rollout.configured(),
    # The legacy request hooks, which do no I/O: they run on the event loop.
    inline_hooks=[
        "gateway.tracing.assign_request_id",
        "gateway.tracing.echo_request_id",
    ],
)
