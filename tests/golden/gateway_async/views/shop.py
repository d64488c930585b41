# Async twin of gateway.views.shop, written by `asyncify apply` (re-run it; do not edit).
# What is not here comes from the legacy module.
"""/api: cart, checkout, recommendations, currency and shipping."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from asyncify.compat import (
    FlaskJSONResponse,
    abort,
    flask_response,
    get_json_silent,
    http_client,
    jsonify,
    lenient,
    requests_headers,
    requests_params,
)
from fastapi import APIRouter, Depends, Query
from flask import current_app, request

from gateway.cart import parse_cart
from gateway.tracing import trace_headers
from gateway_async.fulfilment import submit_order
from gateway_async.upstream import upstream

bp = APIRouter()


@bp.api_route("/checkout", methods=["POST"], name="shop.checkout")
async def checkout(json_body_silent: Annotated[Any, Depends(get_json_silent)]):
    payload = json_body_silent or {}
    cart = parse_cart(payload)
    customer = payload.get("customer") or {}
    country = customer.get("country")
    if not customer.get("name") or not country:
        abort(400, description="customer.name and customer.country are required")

    client = upstream()
    quote = await client.post_json(
        "/pricing/quote", {"currency": cart.currency, "items": cart.as_lines()}
    )
    weight_g = 0
    for sku, qty in cart.items:
        weight_g += (await client.get_json(f"/catalog/products/{sku}"))["weight_g"] * qty
    shipping = await client.get_json(
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
    confirmation = await submit_order(order)
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
    return flask_response(jsonify(body), 201)


@bp.api_route("/cart/validate", methods=["POST"], name="shop.validate_cart")
def validate_cart(json_body_silent: Annotated[Any, Depends(get_json_silent)]):
    cart = parse_cart(json_body_silent)
    return FlaskJSONResponse(
        {"valid": True, "currency": cart.currency, "items": cart.as_lines(), "units": cart.units}
    )


@bp.api_route("/currency/convert", methods=["GET", "HEAD"], name="shop.convert_currency")
async def convert_currency(
    amount: Annotated[str | None, Query()] = None,
    to: Annotated[str, Query()] = "EUR",
):
    # TODO[asyncify ASY104]: current_app: use asyncify.compat.current_config() or request.app.state — https://asyncify.readthedocs.io/en/latest/rules/#asy104
    # TODO[asyncify ASY103]: request.args.get with a computed key, default or type: read request.query_params / await request.form() by hand — https://asyncify.readthedocs.io/en/latest/rules/#asy103
    # TODO[asyncify ASY201]: httpx replaces a query string already in the URL when params= is given (requests appends): check the URL never carries one — https://asyncify.readthedocs.io/en/latest/rules/#asy201
    response = await http_client().get(
        current_app.config["UPSTREAM_URL"] + "/currency/convert",
        params=requests_params({
            "amount": amount,
            "from": request.args.get("from", "USD"),
            "to": to,
        }),
        headers=requests_headers(trace_headers()),
        timeout=current_app.config["UPSTREAM_TIMEOUT"],
        follow_redirects=True,
    )
    if response.is_error:
        if response.status_code == 422:
            return flask_response(
                jsonify(error="invalid_request", message=response.json()["error"]), 422
            )
        abort(502, description="currency service failed")
    data = response.json()
    return jsonify(
        amount=data["amount"],
        source=data["from"],
        target=data["to"],
        rate=data["rate"],
        converted=data["result"],
    )


@bp.api_route("/shipping/estimate", methods=["GET", "HEAD"], name="shop.shipping_estimate")
async def shipping_estimate(
    country: Annotated[str, Query()] = "",
    weight_g: Annotated[int, Query(), lenient(int, 500)] = 500,
):
    quote = await upstream().get_json("/shipping/quote", country=country.upper(), weight_g=weight_g)
    return jsonify(quote)


@bp.api_route(
    "/recommendations/{customer_id:int}", methods=["GET", "HEAD"], name="shop.recommendations"
)
async def recommendations(
    customer_id: int,
    limit: Annotated[int, Query(), lenient(int, 3)] = 3,
):
    client = upstream()
    skus = (await client.get_json(f"/recommendations/{customer_id}", limit=limit))["skus"]
    items = []
    for sku in skus:
        product = await client.get_json(f"/catalog/products/{sku}")
        items.append({"sku": sku, "title": product["title"]})
    return jsonify(customer_id=customer_id, items=items)
