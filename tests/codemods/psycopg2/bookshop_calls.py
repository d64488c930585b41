"""The calls the bookshop in-place test makes, legacy (sync) or converted (awaited where the
function became async): one script, so both sides ask exactly the same questions.

Run as ``python bookshop_calls.py DATABASE_URL UPSTREAM_URL`` with the legacy bookshop on
``PYTHONPATH`` (prints the results as JSON), or imported and awaited with :func:`calls`.
``python bookshop_calls.py db DATABASE_URL`` runs :func:`db_calls` instead (the database
layer and the catalog, from an empty database: the ``init-db`` click command first), with
either bookshop on ``PYTHONPATH``.
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


def _cli(command: Any, args: list[str]) -> list[Any]:
    """Invoke a click command as ``flask init-db`` would (from sync code, in this thread):
    exit code, output, and the exception's SQLSTATE (psycopg2 ``pgcode``, asyncpg
    ``sqlstate``: the same code whichever driver raised it)."""
    from click.testing import CliRunner

    result = CliRunner().invoke(command, args)
    error = result.exception
    state = None if error is None else (getattr(error, "pgcode", None)
                                        or getattr(error, "sqlstate", None) or repr(error))
    return [result.exit_code, result.output, state]


def _close_bridge() -> None:
    """The converted side: close the pool the bridged command opened on the bridge's loop,
    then stop that loop (the legacy side has neither)."""
    from asyncify.bridge import run_async, shutdown
    from asyncify.compat import close_db_pool

    run_async(close_db_pool)
    shutdown()


async def db_calls(database_url: str) -> list[Any]:
    import flask
    from bookshop import db
    from bookshop.services import catalog
    from bookshop.settings import from_env

    app = flask.Flask("bookshop-db-calls")
    app.config.update(from_env({"DATABASE_URL": database_url}))
    with app.app_context():
        # The click command runs in a worker thread (as the CLI runs it: sync code, no loop).
        out = [await asyncio.to_thread(_cli, db.init_db_command, ["--seed"])]
        out += [
            await _value(db.fetch_value, "SELECT count(*) FROM books"),
            await _value(db.fetch_one, "SELECT id, title, list_price FROM books WHERE id = %s",
                         (1,)),
            await _value(db.fetch_one, "SELECT id FROM books WHERE id = %s", (999,)),
            await _value(db.fetch_all, "SELECT id, isbn, metadata FROM books WHERE id IN %s "
                         "ORDER BY id", ((2, 1),)),
            await _value(db.execute, "UPDATE books SET stock = stock + 1 WHERE id = %(id)s",
                         {"id": 1}),
            await _value(db.fetch_value, "SELECT stock FROM books WHERE id = 1"),
            await _value(catalog.get_book, 1),
            await _value(catalog.books_by_ids, [2, 1]),
            await _value(catalog.list_books, page=1, per_page=2, sort="price"),
            await _value(catalog.create_author, "Ada", "ada@example.org", "GB"),
        ]
        # The tables exist now: the command fails (its exception reaches the caller) and its
        # transaction is rolled back; then the seeded data is still there.
        out.append(await asyncio.to_thread(_cli, db.init_db_command, ["--no-seed"]))
        out.append(await _value(db.fetch_value, "SELECT count(*) FROM authors"))
        if inspect.iscoroutinefunction(db.fetch_one):
            await asyncio.to_thread(_close_bridge)
        return out


def dumps(results: list[Any]) -> str:
    return json.dumps(results, default=str, sort_keys=True)


if __name__ == "__main__":
    if sys.argv[1] == "db":
        print(dumps(asyncio.run(db_calls(sys.argv[2]))))
    else:
        print(dumps(asyncio.run(calls(sys.argv[1], sys.argv[2]))))
