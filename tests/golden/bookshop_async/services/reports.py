# Async twin of bookshop.services.reports, written by `asyncify apply` (re-run it; do not edit).
# What is not here comes from the legacy module.
"""Back-office jobs: catalogue statistics and re-pricing from the pricing service."""

from __future__ import annotations

import logging
from typing import Any

from bookshop.services.reports import (  # noqa: F401  (unchanged by the twin: re-exported)
    reprice_catalogue,
)
from bookshop_async import db

log = logging.getLogger(__name__)


async def catalogue_stats(statement_timeout: str) -> dict[str, Any]:
    async with db.connection() as conn:
        async with conn.transaction():
            # Reports must never hold the database for long.
            await conn.execute(
                "SELECT set_config('statement_timeout', $1, true)",
                str(statement_timeout),
            )
            books = (await conn.fetchrow("SELECT count(*) FROM books"))[0]
            authors = (await conn.fetchrow("SELECT count(*) FROM authors"))[0]
            orders = dict(
                await conn.fetch("SELECT status, count(*) FROM orders GROUP BY status ORDER BY status"),
            )
            units, value = await conn.fetchrow(
                "SELECT coalesce(sum(stock), 0), coalesce(sum(stock * list_price), 0) FROM books",
            )
    return {
        "books": books,
        "authors": authors,
        "orders": {status: orders.get(status, 0) for status in ("placed", "shipped", "cancelled")},
        "stock_units": units,
        "stock_value": value,
    }
