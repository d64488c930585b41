# Async twin of bookshop.views.tools, written by `asyncify apply` (re-run it; do not edit).
# What is not here comes from the legacy module.
"""/api/tools: pure computations (no I/O)."""

from __future__ import annotations

from typing import Annotated

from asyncify.compat import abort, flask_response, lenient
from fastapi import APIRouter, Query

from bookshop.simulation import simulate_revenue
from bookshop.validation import check_isbn

bp = APIRouter()

MAX_RUNS = 200_000


@bp.api_route("/isbn", methods=["GET", "HEAD"], name="tools.isbn")
def isbn(isbn: Annotated[str | None, Query()] = None):
    raw = isbn
    if not raw:
        abort(400, description="the isbn query parameter is required")
    result = check_isbn(raw)
    return flask_response(result, (200 if result["valid"] else 422))


@bp.api_route("/price-simulation", methods=["GET", "HEAD"], name="tools.price_simulation")
def price_simulation(
    price: Annotated[float, Query(), lenient(float, 12.0)] = 12.0,
    runs: Annotated[int, Query(), lenient(int, 2000)] = 2000,
    seed: Annotated[int, Query(), lenient(int, 0)] = 0,
):
    if not 0 < price <= 1000 or not 1 <= runs <= MAX_RUNS:
        abort(400, description=f"price must be in (0, 1000] and runs in [1, {MAX_RUNS}]")
    return flask_response(simulate_revenue(price, runs, seed))
