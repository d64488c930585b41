"""/api: cart, checkout, recommendations, currency and shipping."""

from __future__ import annotations

from decimal import Decimal

import requests
from flask import Blueprint, abort, current_app, jsonify, request

from ..cart import parse_cart
from ..fulfilment import submit_order
from ..tracing import trace_headers
from ..upstream import upstream

bp = Blueprint("shop", __name__)


@bp.post("/cart/validate")
def validate_cart():
    cart = parse_cart(request.get_json(silent=True))
    return {"valid": True, "currency": cart.currency, "items": cart.as_lines(), "units": cart.units}


@bp.post("/checkout")
def checkout():
    payload = request.get_json(silent=True) or {}
    cart = parse_cart(payload)
    customer = payload.get("customer") or {}
    country = customer.get("country")
    if not customer.get("name") or not country:
        abort(400, description="customer.name and customer.country are required")

    client = upstream()
    quote = client.post_json(
        "/pricing/quote", {"currency": cart.currency, "items": cart.as_lines()}
    )
    weight_g = 0
    for sku, qty in cart.items:
        weight_g += client.get_json(f"/catalog/products/{sku}")["weight_g"] * qty
    shipping = client.get_json(
        "/shipping/quote", country=country, weight_g=weight_g, currency=cart.currency
    )
    total = Decimal(quote["subtotal"]) + Decimal(shipping["cost"])
    order = {
        "customer": {"name": customer["name"], "country": country},
        "items": cart.as_lines(),
        "currency": cart.currency,
        "subtotal": quote["subtotal"],
        "shipping": shipping["cost"],
        "total": str(total),
    }
    confirmation = submit_order(order)
    body = {
        "order_ref": confirmation["order_ref"],
        "status": confirmation["status"],
        "currency": cart.currency,
        "subtotal": quote["subtotal"],
        "shipping": {
            "carrier": shipping["carrier"],
            "cost": shipping["cost"],
            "eta_days": shipping["eta_days"],
        },
        "total": total,
    }
    return jsonify(body), 201


@bp.get("/recommendations/<int:customer_id>")
def recommendations(customer_id: int):
    limit = request.args.get("limit", 3, type=int)
    client = upstream()
    skus = client.get_json(f"/recommendations/{customer_id}", limit=limit)["skus"]
    items = []
    for sku in skus:
        product = client.get_json(f"/catalog/products/{sku}")
        items.append({"sku": sku, "title": product["title"]})
    return jsonify(customer_id=customer_id, items=items)


@bp.get("/currency/convert")
def convert_currency():
    response = requests.get(
        current_app.config["UPSTREAM_URL"] + "/currency/convert",
        params={
            "amount": request.args.get("amount"),
            "from": request.args.get("from", "USD"),
            "to": request.args.get("to", "EUR"),
        },
        headers=trace_headers(),
        timeout=current_app.config["UPSTREAM_TIMEOUT"],
    )
    if not response.ok:
        if response.status_code == 422:
            return jsonify(error="invalid_request", message=response.json()["error"]), 422
        abort(502, description="currency service failed")
    data = response.json()
    return jsonify(
        amount=data["amount"],
        source=data["from"],
        target=data["to"],
        rate=data["rate"],
        converted=data["result"],
    )


@bp.get("/shipping/estimate")
def shipping_estimate():
    country = request.args.get("country", "")
    weight_g = request.args.get("weight_g", 500, type=int)
    quote = upstream().get_json("/shipping/quote", country=country.upper(), weight_g=weight_g)
    return jsonify(quote)
