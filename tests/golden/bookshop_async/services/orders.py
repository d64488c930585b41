# Async twin of bookshop.services.orders, written by `asyncify apply` (re-run it; do not edit).
# What is not here comes from the legacy module.
"""Orders: placing one (stock, order and lines in one transaction), reading, cancelling."""

from __future__ import annotations

import logging
from typing import Any

from asyncify.compat import dict_row

from bookshop.errors import NotFound, OrderNotCancellable
from bookshop.services.orders import (  # noqa: F401  (unchanged by the twin: re-exported)
    place_order,
)
from bookshop_async.db import connection, fetch_all, fetch_one

log = logging.getLogger(__name__)

DEFAULT_WEIGHT_G = 500


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
            await conn.execute("UPDATE books SET stock = books.stock + l.qty, updated_at = now() "
                "FROM order_lines l WHERE l.order_id = $1 AND books.id = l.book_id", order_id)
            await conn.execute("UPDATE orders SET status = 'cancelled' WHERE id = $1", order_id)
