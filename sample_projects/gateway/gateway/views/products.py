"""/api/products: product pages assembled from several upstream services."""

from __future__ import annotations

import json
import logging
from typing import Any

import requests
from flask import Blueprint, Response, jsonify, request, stream_with_context

from ..upstream import upstream

log = logging.getLogger(__name__)

bp = Blueprint("products", __name__)

REVIEWS_PAGE_SIZE = 3
MAX_REVIEW_PAGES = 10


def review_summary(sku: str) -> dict[str, Any] | None:
    """Reviews are optional on a product page: when the service fails, show none."""
    try:
        return upstream().get_json(f"/reviews/{sku}/summary")
    except requests.RequestException as exc:
        log.warning("no reviews for %s: %s", sku, exc)
        return None


@bp.get("/<sku>")
def product_page(sku: str):
    currency = request.args.get("currency", "USD")
    client = upstream()
    product = client.get_json(f"/catalog/products/{sku}")
    price = client.get_json(f"/pricing/{sku}", currency=currency)
    stock = client.get_json(f"/inventory/{sku}")
    return jsonify(
        sku=product["sku"],
        title=product["title"],
        category=product["category"],
        price={"amount": price["price"], "currency": price["currency"]},
        available=stock["available"],
        in_stock=stock["available"] > 0,
        reviews=review_summary(sku),
    )


@bp.get("/<sku>/description")
def product_description(sku: str):
    text = upstream().get_text(f"/catalog/items/{sku}/description")
    return Response(text, mimetype="text/plain")


@bp.get("/<sku>/reviews")
def product_reviews(sku: str):
    min_rating = request.args.get("min_rating", 1, type=int)
    reviews: list[dict[str, Any]] = []
    next_page: str | None = f"/reviews/{sku}?limit={REVIEWS_PAGE_SIZE}"
    pages = 0
    while next_page and pages < MAX_REVIEW_PAGES:
        page = upstream().get_json(next_page)
        reviews.extend(r for r in page["reviews"] if r["rating"] >= min_rating)
        next_page = page["next"]
        pages += 1
    return jsonify(sku=sku, pages=pages, count=len(reviews), reviews=reviews)


@bp.get("/<sku>/reviews/stream")
def product_reviews_stream(sku: str):
    min_rating = request.args.get("min_rating", 1, type=int)
    export = upstream().open_stream(f"/reviews/{sku}/export")

    def generate():
        with export:
            for line in export.iter_lines():
                if not line:
                    continue
                review = json.loads(line.decode("utf-8"))
                if review["rating"] >= min_rating:
                    out = {
                        "sku": sku,
                        "id": review["id"],
                        "rating": review["rating"],
                        "text": review["text"],
                    }
                    yield json.dumps(out) + "\n"

    return Response(stream_with_context(generate()), mimetype="application/x-ndjson")
