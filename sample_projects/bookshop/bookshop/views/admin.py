"""/admin: back-office endpoints, all behind the API token."""

from __future__ import annotations

import subprocess
import sys

import psycopg2.errors
from flask import Blueprint, abort, current_app, jsonify, redirect, request, url_for

from .. import db
from ..auth import check_token
from ..services import catalog, reports
from ..services.pricing import get_pricing_client

bp = Blueprint("admin", __name__)
bp.before_request(check_token)


@bp.get("/stats")
def stats():
    return jsonify(reports.catalogue_stats(current_app.config["STATS_STATEMENT_TIMEOUT"]))


@bp.post("/authors")
def create_author():
    name = request.form.get("name", "").strip()
    email = request.form.get("email", "").strip() or None
    country = request.form.get("country", "").strip().upper() or None
    if not name:
        abort(400, description="name is required")
    if country is not None and len(country) != 2:
        abort(400, description="country must be a two-letter code")
    try:
        author_id = catalog.create_author(name, email, country)
    except psycopg2.errors.UniqueViolation:
        return jsonify(error="conflict", message=f"an author with email {email} exists"), 409
    return redirect(url_for("books.list_books", author_id=author_id))


@bp.post("/reprice")
def reprice():
    return jsonify(reports.reprice_catalogue(get_pricing_client()))


@bp.get("/diagnostics")
def diagnostics():
    completed = subprocess.run(
        [sys.executable, "--version"], capture_output=True, text=True, check=True, timeout=10
    )
    timezone = db.fetch_value("SHOW TimeZone")
    return jsonify(
        python=completed.stdout.strip().removeprefix("Python "),
        database={"reachable": True, "timezone": timezone},
    )
