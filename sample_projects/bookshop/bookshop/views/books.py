"""/api/books: the catalogue, prices, warehouse stock and excerpts."""

from __future__ import annotations

from typing import Any

import requests
from flask import Blueprint, abort, current_app, jsonify, request

from .. import db
from ..serializers import book_json
from ..services import catalog, get_book
from ..services.excerpts import read_excerpt
from ..services.inventory import warehouse_stock
from ..services.pricing import PricingClient, get_pricing_client

bp = Blueprint("books", __name__)


def load_book(book_id: int) -> dict[str, Any]:
    book = get_book(book_id)
    if book is None:
        abort(404, description=f"book {book_id} not found")
    return book


@bp.get("/")
def list_books():
    page = request.args.get("page", 1, type=int)
    per_page = request.args.get("per_page", 5, type=int)
    sort = request.args.get("sort", "title")
    if page < 1 or not 1 <= per_page <= 50:
        abort(400, description="page must be >= 1 and per_page between 1 and 50")
    if sort not in catalog.SORTABLE:
        abort(400, description=f"sort must be one of: {', '.join(sorted(catalog.SORTABLE))}")
    books, total = catalog.list_books(
        page=page,
        per_page=per_page,
        author_id=request.args.get("author_id"),
        query=request.args.get("q"),
        sort=sort,
    )
    return jsonify(
        items=[book_json(book) for book in books], page=page, per_page=per_page, total=total
    )


@bp.get("/<int:book_id>")
def book_detail(book_id: int):
    return jsonify(book_json(load_book(book_id)))


@bp.get("/bestsellers")
def bestsellers():
    limit = request.args.get("limit", 3, type=int)
    rows = db.fetch_all(
        """
        SELECT b.id, b.title, sum(l.qty) AS copies
        FROM order_lines l
        JOIN orders o ON o.id = l.order_id
        JOIN books b ON b.id = l.book_id
        WHERE o.status <> 'cancelled'
        GROUP BY b.id, b.title
        ORDER BY copies DESC, b.title
        LIMIT %s
        """,
        (limit,),
    )
    return jsonify(items=rows)


@bp.get("/<int:book_id>/price")
def book_price(book_id: int):
    book = load_book(book_id)
    currency = request.args.get("currency", current_app.config["DEFAULT_CURRENCY"])
    pricing: PricingClient = get_pricing_client()
    try:
        quoted = pricing.price_for(
            book["isbn"], currency=currency, coupon=request.args.get("coupon")
        )
    except requests.HTTPError as exc:
        if exc.response is not None and exc.response.status_code == 422:
            abort(422, description=exc.response.json()["error"])
        raise
    return jsonify(
        book_id=book["id"],
        isbn=book["isbn"],
        currency=quoted["currency"],
        catalogue_price_usd=book["list_price"],
        list_price=quoted["list_price"],
        discount=quoted["discount"],
        price=quoted["price"],
    )


@bp.get("/<int:book_id>/availability")
def book_availability(book_id: int):
    book = load_book(book_id)
    warehouse = warehouse_stock(book["isbn"])
    available = warehouse["available"] if warehouse else 0
    return jsonify(
        book_id=book["id"],
        shop_stock=book["stock"],
        warehouse=warehouse["warehouse"] if warehouse else None,
        warehouse_stock=available,
        can_order=book["stock"] + available > 0,
    )


@bp.get("/<int:book_id>/excerpt")
def book_excerpt(book_id: int):
    book = load_book(book_id)
    text = read_excerpt(book["isbn"])
    if text is None:
        abort(404, description=f"no excerpt for book {book_id}")
    return jsonify(book_id=book["id"], title=book["title"], excerpt=text)
