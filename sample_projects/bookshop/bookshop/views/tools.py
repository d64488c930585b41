"""/api/tools: pure computations (no I/O)."""

from __future__ import annotations

from flask import Blueprint, abort, request

from ..simulation import simulate_revenue
from ..validation import check_isbn

bp = Blueprint("tools", __name__)

MAX_RUNS = 200_000


@bp.get("/isbn")
def isbn():
    raw = request.args.get("isbn")
    if not raw:
        abort(400, description="the isbn query parameter is required")
    result = check_isbn(raw)
    return result, (200 if result["valid"] else 422)


@bp.get("/price-simulation")
def price_simulation():
    price = request.args.get("price", 12.0, type=float)
    runs = request.args.get("runs", 2000, type=int)
    seed = request.args.get("seed", 0, type=int)
    if not 0 < price <= 1000 or not 1 <= runs <= MAX_RUNS:
        abort(400, description=f"price must be in (0, 1000] and runs in [1, {MAX_RUNS}]")
    return simulate_revenue(price, runs, seed)
