# Async twin of bookshop.views.admin, written by `asyncify apply` (re-run it; do not edit).
# What is not here comes from the legacy module.
"""/admin: back-office endpoints, all behind the API token."""

from __future__ import annotations

import sys
from typing import Annotated

import asyncpg
from asyncify.compat import (
    abort,
    async_run,
    before_request,
    flask_response,
    jsonify,
    redirect,
    url_for,
)
from fastapi import APIRouter, Depends, Form, Request
from flask import current_app

import bookshop.services.pricing
from bookshop.auth import check_token
from bookshop_async import db
from bookshop_async.services import catalog, reports
from bookshop_async.services.pricing import get_pricing_client

bp = APIRouter()
bp.dependencies.append(Depends(before_request(check_token)))


@bp.api_route("/stats", methods=["GET", "HEAD"], name="admin.stats")
async def stats():
    # TODO[asyncify ASY104]: current_app: use asyncify.compat.current_config() or request.app.state — https://asyncify.readthedocs.io/en/latest/rules/#asy104
    return jsonify(await reports.catalogue_stats(current_app.config["STATS_STATEMENT_TIMEOUT"]))


@bp.api_route("/authors", methods=["POST"], name="admin.create_author")
async def create_author(
    request: Request,
    name: Annotated[str, Form()] = "",
    email: Annotated[str, Form()] = "",
    country: Annotated[str, Form()] = "",
):
    name = name.strip()
    email = email.strip() or None
    country = country.strip().upper() or None
    if not name:
        abort(400, description="name is required")
    if country is not None and len(country) != 2:
        abort(400, description="country must be a two-letter code")
    try:
        author_id = await catalog.create_author(name, email, country)
    except asyncpg.UniqueViolationError:
        return flask_response(
            jsonify(error="conflict", message=f"an author with email {email} exists"), 409
        )
    return redirect(url_for(request, "books.list_books", author_id=author_id))


@bp.api_route("/reprice", methods=["POST"], name="admin.reprice")
def reprice():
    return jsonify(reports.reprice_catalogue(bookshop.services.pricing.get_pricing_client()))


@bp.api_route("/diagnostics", methods=["GET", "HEAD"], name="admin.diagnostics")
async def diagnostics():
    completed = await async_run(
        [sys.executable, "--version"], capture_output=True, text=True, check=True, timeout=10
    )
    timezone = await db.fetch_value("SHOW TimeZone")
    return jsonify(
        python=completed.stdout.strip().removeprefix("Python "),
        database={"reachable": True, "timezone": timezone},
    )
