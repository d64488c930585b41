"""The migrated app standing alone, written by `asyncify apply` (re-run it; do not edit
by hand). Serve it once every endpoint is migrated: the legacy Flask app is not mounted; its
object still provides the request context (g, request, config), the before/after request
hooks and the error handlers the migrated code relies on (asyncify.compat.standalone).
Serve it with uvicorn's `--loop asyncify.serving:fair_accept_loop` (see asyncify.serving).

Every endpoint `apply` can migrate is applied.
"""

from asyncify.compat import flask_view, standalone
from fastapi import APIRouter

from notes.app import create_app
from notes_async import app as notes_async_app
from notes_async.views import library, notes

# The routes the legacy app declares on itself, not on a blueprint.
app_routes = APIRouter()
app_routes.add_api_route(
    "/health", flask_view(notes_async_app.health), methods=["GET", "HEAD"], name="health"
)

app = standalone(
    create_app(),
    [
        (notes.bp, "/api/notes"),
        (library.bp, "/api"),
        (app_routes, ""),
    ],
)
