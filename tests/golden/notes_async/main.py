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

from notes.app import create_app
from notes_async import app as notes_async_app
from notes_async.views import library, notes

legacy = create_app()

# The routes the legacy app declares on itself, not on a blueprint.
app_routes = APIRouter()
app_routes.add_api_route(
    "/health", flask_view(notes_async_app.health), methods=["GET", "HEAD"], name="health"
)

app = combine(
    legacy,
    [
        (notes.bp, "/api/notes"),
        (library.bp, "/api"),
        (app_routes, ""),
    ],
    rollout=Rollout.configured(),
)
