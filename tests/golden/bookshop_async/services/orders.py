# Async twin of bookshop.services.orders, written by `asyncify apply` (re-run it; do not edit).
# What is not here comes from the legacy module.
"""Orders: placing one (stock, order and lines in one transaction), reading, cancelling."""

from __future__ import annotations

import json
import logging
from decimal import Decimal
from typing import Any

from asyncify.compat import dict_row, rowcount

from bookshop.errors import InsufficientStock, InvalidOrder, NotFound, OrderNotCancellable
from bookshop.validation import OrderRequest
from bookshop_async.db import connection, fetch_all, fetch_one
from bookshop_async.services import catalog
from bookshop_async.services.pricing import get_pricing_client
from bookshop_async.services.shipping import quote_shipping

log = logging.getLogger(__name__)

DEFAULT_WEIGHT_G = 500


async def place_order(request: OrderRequest) -> dict[str, Any]:
    customer = await fetch_one(
        "SELECT id, name, country FROM customers WHERE id = %s", (request.customer_id,)
    )
    if customer is None:
        raise InvalidOrder(f"customer {request.customer_id} does not exist")
    books = {book["id"]: book for book in await catalog.books_by_ids(b for b, _ in request.items)}
    unknown = [book_id for book_id, _ in request.items if book_id not in books]
    if unknown:
        raise InvalidOrder(f"unknown book ids: {unknown}")

    # Prices and shipping come from upstream services, before the transaction starts.
    quote = await get_pricing_client().quote(
        [{"sku": books[book_id]["isbn"], "qty": qty} for book_id, qty in request.items],
        currency=request.currency,
    )
    weight_g = sum(
        books[book_id]["metadata"].get("weight_g", DEFAULT_WEIGHT_G) * qty
        for book_id, qty in request.items
    )
    shipping = await quote_shipping(customer["country"], weight_g, request.currency)
    unit_prices = {line["sku"]: Decimal(line["unit_price"]) for line in quote["lines"]}
    shipping_cost = Decimal(shipping["cost"])

    async with connection() as conn:
        async with conn.transaction():
            for book_id, qty in request.items:
                pg_status = await conn.execute(
                    "UPDATE books SET stock = stock - $1, updated_at = now() "
                    "WHERE id = $2 AND stock >= $3",
                    qty,
                    book_id,
                    qty,
                )
                if rowcount(pg_status) != 1:
                    raise InsufficientStock(
                        f"not enough stock for book {book_id}", book_id=book_id
                    )
            order_id = (await conn.fetchrow(
                "INSERT INTO orders (customer_id, currency, total, shipping_cost, shipping) "
                "VALUES ($1, $2, $3, $4, "
                "$5) RETURNING id",
                customer["id"],
                request.currency,
                Decimal(quote["subtotal"]) + shipping_cost,
                shipping_cost,
                json.dumps({
                            "carrier": shipping["carrier"],
                            "country": shipping["country"],
                            "eta_days": shipping["eta_days"],
                        }
                    ),
            ))[0]
            await conn.executemany(
                "INSERT INTO order_lines (order_id, book_id, qty, unit_price) "
                "VALUES ($1, $2, $3, $4)",
                [
                    (order_id, book_id, qty, unit_prices[books[book_id]["isbn"]])
                    for book_id, qty in request.items
                ],
            )
    log.info("order %s placed for customer %s", order_id, customer["id"])
    return await get_order(order_id)


async def get_order(order_id: int) -> dict[str, Any]:
    order = await fetch_one(
        """
        SELECT o.id, o.status, o.currency, o.total, o.shipping_cost, o.shipping, o.created_at,
               c.id AS customer_id, c.name AS customer_name
        FROM orders o JOIN customers c ON c.id = o.customer_id
        WHERE o.id = %(order_id)s
        """,
        {"order_id": order_id},
    )
    if order is None:
        raise NotFound(f"order {order_id} not found")
    lines = await fetch_all(
        """
        SELECT l.book_id, b.title, l.qty, l.unit_price
        FROM order_lines l JOIN books b ON b.id = l.book_id
        WHERE l.order_id = %(order_id)s
        ORDER BY l.book_id
        """,
        {"order_id": order_id},
    )
    customer = {"id": order.pop("customer_id"), "name": order.pop("customer_name")}
    return {**order, "customer": customer, "lines": lines}


async def list_orders(
    customer_id: str,
    *,
    since: Any = None,
    status: str | None = None,
) -> list[dict]:
    query = "SELECT id, status, currency, total, created_at FROM orders WHERE customer_id = %s"
    params: list[Any] = [customer_id]
    if since is not None:
        query += " AND created_at >= %s"
        params.append(since)
    if status is not None:
        query += " AND status = %s"
        params.append(status)
    return await fetch_all(query + " ORDER BY created_at, id", params)


async def cancel_order(order_id: int) -> None:
    """Cancel a placed order and put its books back in stock."""
    # "with conn" commits on success and rolls back on error; it does not close conn.
    async with connection() as conn:
        async with conn.transaction():
            row = dict_row(
                await conn.fetchrow("SELECT status FROM orders WHERE id = $1 FOR UPDATE", order_id)
            )
            if row is None:
                raise NotFound(f"order {order_id} not found")
            if row["status"] != "placed":
                raise OrderNotCancellable(f"order {order_id} is {row['status']}", status=row["status"])
            await conn.execute(
                "UPDATE books SET stock = books.stock + l.qty, updated_at = now() "
                "FROM order_lines l WHERE l.order_id = $1 AND books.id = l.book_id",
                order_id,
            )
            await conn.execute("UPDATE orders SET status = 'cancelled' WHERE id = $1", order_id)
