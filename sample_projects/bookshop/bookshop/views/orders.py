"""/api/orders: place, list, read and cancel orders."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, abort, jsonify, request, url_for
from flask.views import MethodView

from ..auth import require_token
from ..serializers import order_summary_json
from ..services.orders import cancel_order, get_order, list_orders, place_order
from ..validation import parse_order

bp = Blueprint("orders", __name__)


@bp.route("/", methods=["POST"])
@require_token
def create_order():
    order = place_order(parse_order(request.get_json()))
    return jsonify(order), 201, {"Location": url_for("orders.order", order_id=order["id"])}


@bp.route("/", methods=["GET"])
def customer_orders():
    customer_id = request.args.get("customer_id")
    if not customer_id:
        abort(400, description="customer_id is required")
    since = request.args.get("since")
    try:
        since_dt = datetime.fromisoformat(since) if since else None
    except ValueError:
        abort(400, description="since must be an ISO 8601 date or datetime")
    rows = list_orders(customer_id, since=since_dt, status=request.args.get("status"))
    return jsonify(orders=[order_summary_json(row) for row in rows])


class OrderAPI(MethodView):
    def get(self, order_id: int):
        return jsonify(get_order(order_id))

    @require_token
    def delete(self, order_id: int):
        cancel_order(order_id)
        return "", 204


bp.add_url_rule("/<int:order_id>", view_func=OrderAPI.as_view("order"))
