"""Orders: placing one (stock, order and lines in one transaction), reading, cancelling."""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

from psycopg2.extras import Json, RealDictCursor

from bookshop.db import connection, fetch_all, fetch_one

from ..errors import InsufficientStock, InvalidOrder, NotFound, OrderNotCancellable
from ..validation import OrderRequest
from . import catalog
from .pricing import get_pricing_client
from .shipping import quote_shipping

log = logging.getLogger(__name__)

DEFAULT_WEIGHT_G = 500


def place_order(request: OrderRequest) -> dict[str, Any]:
    customer = fetch_one(
        "SELECT id, name, country FROM customers WHERE id = %s", (request.customer_id,)
    )
    if customer is None:
        raise InvalidOrder(f"customer {request.customer_id} does not exist")
    books = {book["id"]: book for book in catalog.books_by_ids(b for b, _ in request.items)}
    unknown = [book_id for book_id, _ in request.items if book_id not in books]
    if unknown:
        raise InvalidOrder(f"unknown book ids: {unknown}")

    # Prices and shipping come from upstream services, before the transaction starts.
    quote = get_pricing_client().quote(
        [{"sku": books[book_id]["isbn"], "qty": qty} for book_id, qty in request.items],
        currency=request.currency,
    )
    weight_g = sum(
        books[book_id]["metadata"].get("weight_g", DEFAULT_WEIGHT_G) * qty
        for book_id, qty in request.items
    )
    shipping = quote_shipping(customer["country"], weight_g, request.currency)
    unit_prices = {line["sku"]: Decimal(line["unit_price"]) for line in quote["lines"]}
    shipping_cost = Decimal(shipping["cost"])

    with connection() as conn:
        try:
            with conn.cursor() as cur:
                for book_id, qty in request.items:
                    cur.execute(
                        "UPDATE books SET stock = stock - %s, updated_at = now() "
                        "WHERE id = %s AND stock >= %s",
                        (qty, book_id, qty),
                    )
                    if cur.rowcount != 1:
                        raise InsufficientStock(
                            f"not enough stock for book {book_id}", book_id=book_id
                        )
                cur.execute(
                    "INSERT INTO orders (customer_id, currency, total, shipping_cost, shipping) "
                    "VALUES (%(customer_id)s, %(currency)s, %(total)s, %(shipping_cost)s, "
                    "%(shipping)s) RETURNING id",
                    {
                        "customer_id": customer["id"],
                        "currency": request.currency,
                        "total": Decimal(quote["subtotal"]) + shipping_cost,
                        "shipping_cost": shipping_cost,
                        "shipping": Json(
                            {
                                "carrier": shipping["carrier"],
                                "country": shipping["country"],
                                "eta_days": shipping["eta_days"],
                            }
                        ),
                    },
                )
                order_id = cur.fetchone()[0]
                cur.executemany(
                    "INSERT INTO order_lines (order_id, book_id, qty, unit_price) "
                    "VALUES (%s, %s, %s, %s)",
                    [
                        (order_id, book_id, qty, unit_prices[books[book_id]["isbn"]])
                        for book_id, qty in request.items
                    ],
                )
            conn.commit()
        except Exception:
            conn.rollback()
            raise
    log.info("order %s placed for customer %s", order_id, customer["id"])
    return get_order(order_id)


def get_order(order_id: int) -> dict[str, Any]:
    order = fetch_one(
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
    lines = fetch_all(
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


def list_orders(customer_id: str, *, since: Any = None, status: str | None = None) -> list[dict]:
    query = "SELECT id, status, currency, total, created_at FROM orders WHERE customer_id = %s"
    params: list[Any] = [customer_id]
    if since is not None:
        query += " AND created_at >= %s"
        params.append(since)
    if status is not None:
        query += " AND status = %s"
        params.append(status)
    return fetch_all(query + " ORDER BY created_at, id", params)


def cancel_order(order_id: int) -> None:
    """Cancel a placed order and put its books back in stock."""
    # "with conn" commits on success and rolls back on error; it does not close conn.
    with connection() as conn, conn, conn.cursor(cursor_factory=RealDictCursor) as cur:
        cur.execute("SELECT status FROM orders WHERE id = %s FOR UPDATE", (order_id,))
        row = cur.fetchone()
        if row is None:
            raise NotFound(f"order {order_id} not found")
        if row["status"] != "placed":
            raise OrderNotCancellable(f"order {order_id} is {row['status']}", status=row["status"])
        cur.execute(
            "UPDATE books SET stock = books.stock + l.qty, updated_at = now() "
            "FROM order_lines l WHERE l.order_id = %s AND books.id = l.book_id",
            (order_id,),
        )
        cur.execute("UPDATE orders SET status = 'cancelled' WHERE id = %s", (order_id,))
