"""The calls the bookshop in-place test makes, legacy (sync) or converted (awaited where the
function became async): one script, so both sides ask exactly the same questions.

Run as ``python bookshop_calls.py DATABASE_URL UPSTREAM_URL`` with the legacy bookshop on
``PYTHONPATH`` (prints the results as JSON), or imported and awaited with :func:`calls`.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import sys
from typing import Any


async def _value(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Await an async function; run a sync one in a worker thread, as a server would (a sync
    function that calls converted ones goes through the bridge, which must not run on the
    loop's own thread)."""
    if inspect.iscoroutinefunction(fn):
        return await fn(*args, **kwargs)
    return await asyncio.to_thread(fn, *args, **kwargs)


async def calls(database_url: str, upstream_url: str) -> list[Any]:
    import flask
    from bookshop.services import catalog, inventory, orders, pricing, reports
    from bookshop.settings import from_env

    app = flask.Flask("bookshop-calls")
    app.config.update(from_env({"DATABASE_URL": database_url, "UPSTREAM_URL": upstream_url}))
    with app.app_context():
        client = pricing.get_pricing_client()
        out = [
            await _value(catalog.get_book, 1),
            await _value(catalog.get_book, 999),
            await _value(catalog.books_by_ids, [2, 1]),
            await _value(catalog.all_books),
            await _value(catalog.list_books, page=1, per_page=2, sort="price"),
            await _value(orders.get_order, 1),
            await _value(orders.list_orders, "1"),  # a str for an integer column
            await _value(catalog.create_author, "Ada", "ada@example.org", "GB"),
            await _value(orders.cancel_order, 2),
            await _value(orders.get_order, 2),
            await _value(reports.catalogue_stats, "2s"),
            await _value(inventory.warehouse_stock, "9780553803716"),
            await _value(client.price_for, "9780553803716", currency="EUR"),
        ]
        try:
            await _value(orders.cancel_order, 1)  # shipped: not cancellable
        except Exception as exc:  # the same exception class on both sides
            out.append([type(exc).__name__, str(exc)])
        finally:
            session = client.session  # a requests.Session, or the httpx.AsyncClient now
            await (session.aclose() if hasattr(session, "aclose") else _value(session.close))
        return out


def dumps(results: list[Any]) -> str:
    return json.dumps(results, default=str, sort_keys=True)


if __name__ == "__main__":
    print(dumps(asyncio.run(calls(sys.argv[1], sys.argv[2]))))
