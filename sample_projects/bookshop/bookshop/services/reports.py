"""Back-office jobs: catalogue statistics and re-pricing from the pricing service."""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

from psycopg2.extras import execute_batch

from .. import db
from .catalog import all_books
from .pricing import PricingClient

log = logging.getLogger(__name__)


def catalogue_stats(statement_timeout: str) -> dict[str, Any]:
    with db.connection() as conn, conn.cursor() as cur:
        # Reports must never hold the database for long.
        cur.execute("SET LOCAL statement_timeout = %s", (statement_timeout,))
        cur.execute("SELECT count(*) FROM books")
        books = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM authors")
        authors = cur.fetchone()[0]
        cur.execute("SELECT status, count(*) FROM orders GROUP BY status ORDER BY status")
        orders = dict(cur.fetchall())
        cur.execute(
            "SELECT coalesce(sum(stock), 0), coalesce(sum(stock * list_price), 0) FROM books"
        )
        units, value = cur.fetchone()
    return {
        "books": books,
        "authors": authors,
        "orders": {status: orders.get(status, 0) for status in ("placed", "shipped", "cancelled")},
        "stock_units": units,
        "stock_value": value,
    }


def reprice_catalogue(client: PricingClient) -> dict[str, Any]:
    """Set every book's list price to the pricing service's current USD list price."""
    changes = []
    books = all_books()
    for book in books:
        quoted = Decimal(client.price_for(book["isbn"], currency="USD")["list_price"])
        if quoted != book["list_price"]:
            changes.append({"id": book["id"], "old": book["list_price"], "new": quoted})
    if changes:
        with db.connection() as conn:
            with conn.cursor() as cur:
                statement = (
                    "UPDATE books SET list_price = %(new)s, updated_at = now() WHERE id = %(id)s"
                )
                log.debug("repricing: %s", cur.mogrify(statement, changes[0]))
                execute_batch(cur, statement, changes)
            conn.commit()
    return {"checked": len(books), "updated": len(changes), "changes": changes}
