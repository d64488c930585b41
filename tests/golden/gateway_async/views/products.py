# Async twin of gateway.views.products, written by `asyncify apply` (re-run it; do not edit).
# What is not here comes from the legacy module.
"""/api/products: product pages assembled from several upstream services."""

from __future__ import annotations

import json
import logging
from typing import Annotated, Any

import httpx
from asyncify.compat import jsonify, lenient
from fastapi import APIRouter, Query
from starlette.responses import Response

from gateway.views.products import (  # noqa: F401  (unchanged by the twin: re-exported)
    product_reviews_stream,
)
from gateway_async.upstream import upstream

log = logging.getLogger(__name__)

bp = APIRouter()

REVIEWS_PAGE_SIZE = 3
MAX_REVIEW_PAGES = 10


async def review_summary(sku: str) -> dict[str, Any] | None:
    """Reviews are optional on a product page: when the service fails, show none."""
    try:
        return await upstream().get_json(f"/reviews/{sku}/summary")
    except (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError, json.JSONDecodeError) as exc:
        log.warning("no reviews for %s: %s", sku, exc)
        return None


@bp.api_route("/{sku}", methods=["GET", "HEAD"], name="products.product_page")
async def product_page(sku: str, currency: Annotated[str, Query()] = "USD"):
    client = upstream()
    product = await client.get_json(f"/catalog/products/{sku}")
    price = await client.get_json(f"/pricing/{sku}", currency=currency)
    stock = await client.get_json(f"/inventory/{sku}")
    return jsonify(
        sku=product["sku"],
        title=product["title"],
        category=product["category"],
        price={"amount": price["price"], "currency": price["currency"]},
        available=stock["available"],
        in_stock=stock["available"] > 0,
        reviews=await review_summary(sku),
    )


@bp.api_route("/{sku}/description", methods=["GET", "HEAD"], name="products.product_description")
async def product_description(sku: str):
    text = await upstream().get_text(f"/catalog/items/{sku}/description")
    return Response(content=text, media_type="text/plain")


@bp.api_route("/{sku}/reviews", methods=["GET", "HEAD"], name="products.product_reviews")
async def product_reviews(sku: str, min_rating: Annotated[int, Query(), lenient(int, 1)] = 1):
    reviews: list[dict[str, Any]] = []
    next_page: str | None = f"/reviews/{sku}?limit={REVIEWS_PAGE_SIZE}"
    pages = 0
    while next_page and pages < MAX_REVIEW_PAGES:
        page = await upstream().get_json(next_page)
        reviews.extend(r for r in page["reviews"] if r["rating"] >= min_rating)
        next_page = page["next"]
        pages += 1
    return jsonify(sku=sku, pages=pages, count=len(reviews), reviews=reviews)
