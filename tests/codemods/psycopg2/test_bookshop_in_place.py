"""``asyncify apply --recipe psycopg2-to-asyncpg`` then ``--recipe requests-to-httpx`` (both
``--propagate --write``) over the bookshop sample's non-Flask modules (``db.py`` and
``services/``) in a copy of the project; the functions are then called against the real
PostgreSQL and the real upstream service — the converted ones awaited under asyncio, the ones
that stay sync in a worker thread, as a server runs them — and must return what the legacy
ones return (run in a subprocess on a twin database), including a write and an exception.

In place, a helper that code staying sync still uses must stay sync too (there is no legacy
copy to fall back on, unlike `apply ENDPOINT`'s twins): ``init_db_command`` (a click callback)
enters ``db.connection()``, and ``connection()`` receives ``get_pool()``'s pool, so the whole
database layer stays psycopg2, each function with a marker saying why; the HTTP layer
(``warehouse_stock``, ``PricingClient``) converts, and its sync callers go through the bridge.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from asyncify.cli import app

HERE = Path(__file__).resolve().parent
SAMPLE = HERE.parents[2] / "sample_projects" / "bookshop"
runner = CliRunner()


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("bookshop")
    shutil.copytree(SAMPLE / "bookshop", root / "bookshop")
    targets = [str(root / "bookshop" / "db.py"), str(root / "bookshop" / "services")]
    for recipe in ("psycopg2-to-asyncpg", "requests-to-httpx"):
        result = runner.invoke(app, ["apply", "--recipe", recipe, "--propagate", "--root",
                                     str(root), *targets, "--write", "--allow-dirty"])
        assert result.exit_code == 0, result.output
    yield root


def _source(project: Path, relpath: str) -> str:
    return (project / "bookshop" / relpath).read_text()


def test_what_is_converted_and_what_stays(project: Path) -> None:
    db = _source(project, "db.py")
    assert "async def" not in db
    assert ("# TODO[asyncify ASY901]: stays sync: init_db_command (line 90) stays sync and "
            "enters or iterates it, which the bridge cannot do") in db
    assert ("# TODO[asyncify ASY901]: stays sync: it returns a "
            "psycopg2.pool.AbstractConnectionPool to connection (line 44)") in db
    reports = _source(project, "services/reports.py")
    assert "\ndef catalogue_stats(" in reports and "\ndef reprice_catalogue(" in reports
    inventory = _source(project, "services/inventory.py")
    assert "async def warehouse_stock(" in inventory
    assert "await http_client().get(" in inventory
    pricing = _source(project, "services/pricing.py")
    assert "async def price_for(" in pricing and "httpx.AsyncClient()" in pricing
    orders = _source(project, "services/orders.py")
    assert "quote = run_async(get_pricing_client().quote, " in orders
    for name in ("views/books.py", "views/orders.py", "app.py", "errors.py",
                 "services/catalog.py"):
        assert _source(project, name) == (SAMPLE / "bookshop" / name).read_text()


@pytest.fixture(scope="module")
def upstream_url(sample_harness: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with sample_harness.serve_upstream(log_dir=tmp_path_factory.mktemp("logs")) as server:
        yield server.url


def test_converted_functions_return_what_the_legacy_ones_return(
    project: Path, sample_harness: Any, postgres_dsn: str, upstream_url: str
) -> None:
    files = (SAMPLE / "schema.sql", SAMPLE / "seed.sql")
    with sample_harness.temporary_database(postgres_dsn, "bsinplace", *files) as legacy_url, \
            sample_harness.temporary_database(postgres_dsn, "bsinplace", *files) as async_url:
        env = {**os.environ, "PYTHONPATH": str(SAMPLE)}
        legacy = subprocess.run(
            [sys.executable, str(HERE / "bookshop_calls.py"), legacy_url, upstream_url],
            env=env, capture_output=True, text=True, timeout=120, check=False)
        assert legacy.returncode == 0, legacy.stderr
        expected = json.loads(legacy.stdout)

        sys.path.insert(0, str(project))
        sys.path.insert(0, str(HERE))
        try:
            import bookshop_calls

            from asyncify.compat import http_client

            async def converted() -> list[Any]:
                try:
                    return await bookshop_calls.calls(async_url, upstream_url)
                finally:
                    await http_client().aclose()

            got = json.loads(bookshop_calls.dumps(asyncio.run(converted())))
            assert bookshop_calls.__name__ in sys.modules
        finally:
            sys.path.remove(str(project))
            sys.path.remove(str(HERE))
            for name in [m for m in sys.modules
                         if m.split(".")[0] in ("bookshop", "bookshop_calls")]:
                del sys.modules[name]
    assert got == expected
    assert expected[-1][0] == "OrderNotCancellable"
    assert expected[5]["id"] == 1 and expected[6][0]["id"] == 1
