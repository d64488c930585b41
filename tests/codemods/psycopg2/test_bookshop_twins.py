"""`asyncify apply ENDPOINT…` on the bookshop sample: the database paths now turn async.

The psycopg2 rules declare what they convert, per call site, so a twin that reaches the
database becomes ``async def`` with awaited asyncpg calls, and the lazily created module-global
pool becomes the per-event-loop ``compat.db_pool``. What cannot convert stays sync and says why
(the e2e loop in ``tests/e2e/test_bookshop_migration.py`` runs the sample's suite after each
step; this test pins which twins are async)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

from asyncify.cli import app

SAMPLE = Path(__file__).resolve().parents[3] / "sample_projects" / "bookshop"
runner = CliRunner()


def test_database_twins_are_async(tmp_path: Path) -> None:
    shutil.copytree(SAMPLE / "bookshop", tmp_path / "bookshop")
    plan = runner.invoke(app, ["plan", str(tmp_path), "--format", "json", "--no-cache"])
    assert plan.exit_code == 0, plan.output
    endpoints = [e["id"] for e in json.loads(plan.stdout)["endpoints"]
                 if e["id"].startswith("bookshop.views.") and ".meta." not in e["id"]]
    applied = runner.invoke(app, ["apply", *endpoints, "--root", str(tmp_path), "--write",
                                  "--allow-dirty"])
    assert applied.exit_code == 0, applied.output
    twins = tmp_path / "bookshop_async"

    db = (twins / "db.py").read_text()
    assert "async def get_pool() -> ThreadedConnectionPool:" in db
    # One pool per event loop (the bridge's loop and the server's never share one).
    assert "return await db_pool(dsn=config[\"DATABASE_URL\"], min_size=config[" in db
    assert "_pool = ThreadedConnectionPool(" not in db
    assert "@asynccontextmanager\nasync def connection()" in db
    assert "    async with pool.acquire() as conn:\n        yield conn" in db
    for helper, call in (("fetch_all", "dict_rows(await conn.fetch(*pg_args(query, params)))"),
                         ("fetch_one", "dict_row(await conn.fetchrow(*pg_args(query, params)))"),
                         ("fetch_value", "(await conn.fetchrow(*pg_args(query, params)))[0]")):
        assert f"async def {helper}(" in db and call in db

    catalog = (twins / "services" / "catalog.py").read_text()
    for name in ("get_book", "books_by_ids", "all_books", "list_books", "create_author"):
        assert f"async def {name}(" in catalog
    assert "return await db.fetch_one(BOOK_SELECT" in catalog
    assert "async with db.connection() as conn:\n        async with conn.transaction():" in catalog

    orders = (twins / "services" / "orders.py").read_text()
    for name in ("get_order", "list_orders", "cancel_order"):
        assert f"async def {name}(" in orders
    assert 'await conn.execute("UPDATE orders SET status = \'cancelled\' WHERE id = $1", ' \
        "order_id)" in orders

    books = (twins / "views" / "books.py").read_text()
    for name in ("load_book", "list_books", "bestsellers", "book_detail", "book_availability"):
        assert f"async def {name}(" in books
    admin = (twins / "views" / "admin.py").read_text()
    assert "async def create_author(" in admin and "async def diagnostics(" in admin
    assert "await async_run(" in admin  # subprocess.run, same semantics, on asyncio
    assert "async def stats():" in admin
    reports = (twins / "services" / "reports.py").read_text()
    # SET LOCAL lasts for psycopg2's implicit transaction: set_config(…, true) in an explicit one.
    assert ("    async with db.connection() as conn:\n        async with conn.transaction():\n"
            in reports)
    assert ("await conn.execute(\n                \"SELECT set_config('statement_timeout', "
            "$1, true)\",\n                str(statement_timeout),\n            )") in reports
    # reprice_catalogue keeps psycopg2 (cur.mogrify): imported from the legacy module.
    assert "from bookshop.services.reports import (" in reports
    assert "    reprice_catalogue,\n" in reports and "def reprice_catalogue" not in reports
