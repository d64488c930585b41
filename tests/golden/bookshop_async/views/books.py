# Async twin of bookshop.views.books, written by `asyncify apply` (re-run it; do not edit).
# What is not here comes from the legacy module.
"""/api/books: the catalogue, prices, warehouse stock and excerpts."""

from __future__ import annotations

from typing import Annotated, Any

import httpx
from asyncify.bridge import run_async
from asyncify.compat import abort, jsonify, lenient
from fastapi import APIRouter, Query
from flask import current_app, request

from bookshop.serializers import book_json
from bookshop.services.excerpts import read_excerpt
from bookshop_async import db
from bookshop_async.services import catalog
from bookshop_async.services.catalog import get_book
from bookshop_async.services.inventory import warehouse_stock
from bookshop_async.services.pricing import PricingClient, get_pricing_client

bp = APIRouter()


async def load_book(book_id: int) -> dict[str, Any]:
    book = await get_book(book_id)
    if book is None:
        abort(404, description=f"book {book_id} not found")
    return book


@bp.api_route("/", methods=["GET", "HEAD"], name="books.list_books")
async def list_books(
    page: Annotated[int, Query(), lenient(int, 1)] = 1,
    per_page: Annotated[int, Query(), lenient(int, 5)] = 5,
    sort: Annotated[str, Query()] = "title",
    author_id: Annotated[str | None, Query()] = None,
    q: Annotated[str | None, Query()] = None,
):
    if page < 1 or not 1 <= per_page <= 50:
        abort(400, description="page must be >= 1 and per_page between 1 and 50")
    if sort not in catalog.SORTABLE:
        abort(400, description=f"sort must be one of: {', '.join(sorted(catalog.SORTABLE))}")
    books, total = await catalog.list_books(
        page=page,
        per_page=per_page,
        author_id=author_id,
        query=q,
        sort=sort,
    )
    return jsonify(
        items=[book_json(book) for book in books], page=page, per_page=per_page, total=total
    )


@bp.api_route("/bestsellers", methods=["GET", "HEAD"], name="books.bestsellers")
async def bestsellers(limit: Annotated[int, Query(), lenient(int, 3)] = 3):
    rows = await db.fetch_all(
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


@bp.api_route("/{book_id:int}", methods=["GET", "HEAD"], name="books.book_detail")
async def book_detail(book_id: int):
    return jsonify(book_json(await load_book(book_id)))


@bp.api_route("/{book_id:int}/price", methods=["GET", "HEAD"], name="books.book_price")
async def book_price(book_id: int, coupon: Annotated[str | None, Query()] = None):
    book = await load_book(book_id)
    # TODO[asyncify ASY104]: current_app: use asyncify.compat.current_config() or request.app.state — https://asyncify.readthedocs.io/en/latest/rules/#asy104
    # TODO[asyncify ASY103]: request.args.get with a computed key, default or type: read request.query_params / await request.form() by hand — https://asyncify.readthedocs.io/en/latest/rules/#asy103
    currency = request.args.get("currency", current_app.config["DEFAULT_CURRENCY"])
    pricing: PricingClient = get_pricing_client()
    try:
        quoted = await pricing.price_for(
            book["isbn"], currency=currency, coupon=coupon
        )
    except httpx.HTTPStatusError as exc:
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


@bp.api_route(
    "/{book_id:int}/availability", methods=["GET", "HEAD"], name="books.book_availability"
)
async def book_availability(book_id: int):
    book = await load_book(book_id)
    warehouse = await warehouse_stock(book["isbn"])
    available = warehouse["available"] if warehouse else 0
    return jsonify(
        book_id=book["id"],
        shop_stock=book["stock"],
        warehouse=warehouse["warehouse"] if warehouse else None,
        warehouse_stock=available,
        can_order=book["stock"] + available > 0,
    )


@bp.api_route("/{book_id:int}/excerpt", methods=["GET", "HEAD"], name="books.book_excerpt")
def book_excerpt(book_id: int):
    book = run_async(load_book, book_id)
    text = read_excerpt(book["isbn"])
    if text is None:
        abort(404, description=f"no excerpt for book {book_id}")
    return jsonify(book_id=book["id"], title=book["title"], excerpt=text)
