# Async twin of bookshop.views.orders, written by `asyncify apply` (re-run it; do not edit).
# What is not here comes from the legacy module.
"""/api/orders: place, list, read and cancel orders."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from asyncify.bridge import run_async
from asyncify.compat import (
    abort,
    class_view,
    flask_response,
    get_json,
    jsonify,
    legacy_decorator,
    url_for,
)
from fastapi import APIRouter, Depends, Query, Request

from bookshop.auth import require_token
from bookshop.serializers import order_summary_json
from bookshop.validation import parse_order
from bookshop_async.services.orders import cancel_order, get_order, list_orders, place_order

bp = APIRouter()


# TODO[asyncify ASY901]: stays sync: its decorator require_token wraps it in a sync function: make the wrapper async (async def, await the call), then this can follow — https://asyncify.readthedocs.io/en/latest/rules/#asy901
# TODO[asyncify ASY102]: a decorator between the route and the view: FastAPI reads the view's signature through it, and one that reads Flask's request/g must become a dependency — https://asyncify.readthedocs.io/en/latest/rules/#asy102
@bp.api_route("/", methods=["POST"], name="orders.create_order")
@legacy_decorator(require_token)
def create_order(json_body: Annotated[Any, Depends(get_json)], request: Request):
    order = run_async(place_order, parse_order(json_body))
    return flask_response(
        jsonify(order), 201, {"Location": url_for(request, "orders.order", order_id=order["id"])}
    )


@bp.api_route("/", methods=["GET", "HEAD"], name="orders.customer_orders")
async def customer_orders(
    customer_id: Annotated[str | None, Query()] = None,
    since: Annotated[str | None, Query()] = None,
    status: Annotated[str | None, Query()] = None,
):
    if not customer_id:
        abort(400, description="customer_id is required")
    try:
        since_dt = datetime.fromisoformat(since) if since else None
    except ValueError:
        abort(400, description="since must be an ISO 8601 date or datetime")
    rows = await list_orders(customer_id, since=since_dt, status=status)
    return jsonify(orders=[order_summary_json(row) for row in rows])


class OrderAPI:
    async def get(self, order_id: int):
        return jsonify(await get_order(order_id))

    # TODO[asyncify ASY901]: stays sync: its decorator require_token wraps it in a sync function: make the wrapper async (async def, await the call), then this can follow — https://asyncify.readthedocs.io/en/latest/rules/#asy901
    # TODO[asyncify ASY102]: a decorator on a class view's method: FastAPI reads the method's signature through it, and one that reads Flask's request/g must become a dependency — https://asyncify.readthedocs.io/en/latest/rules/#asy102
    @require_token
    def delete(self, order_id: int):
        run_async(cancel_order, order_id)
        return flask_response("", 204)


bp.add_api_route(
    "/{order_id:int}", class_view(OrderAPI, "get"), methods=["GET", "HEAD"], name="orders.order"
)
bp.add_api_route(
    "/{order_id:int}", class_view(OrderAPI, "delete"), methods=["DELETE"], name="orders.order"
)
