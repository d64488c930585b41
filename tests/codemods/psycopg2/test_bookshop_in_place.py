"""``asyncify apply --recipe psycopg2-to-asyncpg`` then ``--recipe requests-to-httpx`` (both
``--propagate --write``) over the bookshop sample's non-Flask modules (``db.py`` and
``services/``) in a copy of the project; the functions are then called against the real
PostgreSQL and the real upstream service — the converted ones awaited under asyncio, the ones
that stay sync in a worker thread, as a server runs them — and must return what the legacy
ones return (run in a subprocess on a twin database), including a write and an exception.

In place, a helper that code staying sync still uses must stay sync too (there is no legacy
copy to fall back on, unlike `apply ENDPOINT`'s twins). A function that stays ``def`` only
because sync code calls it — ``init_db_command``, a click callback — no longer forces that:
its body runs on the bridge (ASY901, bridged body) and what it enters converts. But over all
of ``services/``, functions that really stay sync enter ``db.connection()`` too:
``place_order`` (its shipping quote retries with ``time.sleep``, which neither recipe
converts), ``reprice_catalogue`` (``cur.mogrify``), ``catalogue_stats`` (a parameter in
``SET LOCAL``); so there the database layer stays psycopg2, each function with a marker saying
why, while the HTTP layer (``warehouse_stock``, ``PricingClient``) converts and its sync
callers go through the bridge.

Over ``db.py`` and ``services/catalog.py`` alone (``--in-place``), nothing that stays sync
enters the database layer except the click command: ``get_pool``, ``connection``, the
``fetch_*`` helpers and the catalog all convert, ``init_db_command`` keeps its ``def`` and
runs its body through ``run_async``; the command (through click's ``CliRunner``, from an empty
database, then failing on the existing tables) and the converted functions give the legacy
results, both sides in subprocesses on twin databases.
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
    assert ("# TODO[asyncify ASY901]: stays sync: place_order (line 48) stays sync and "
            "enters or iterates it, which the bridge cannot do") in db
    assert "_body" not in db  # init_db_command enters connection(), which stays sync
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

        # Other suites in this process may have imported the legacy ``bookshop`` already: set
        # it aside, so the converted copy is what gets imported, and put it back afterwards.
        legacy_modules = {name: sys.modules.pop(name) for name in list(sys.modules)
                          if name.split(".")[0] in ("bookshop", "bookshop_calls")}
        sys.path.insert(0, str(project))
        sys.path.insert(0, str(HERE))
        try:
            import bookshop_calls
            from bookshop.services import catalog

            assert Path(catalog.__file__).is_relative_to(project), catalog.__file__

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
            sys.modules.update(legacy_modules)
    assert got == expected
    assert expected[-1][0] == "OrderNotCancellable"
    assert expected[5]["id"] == 1 and expected[6][0]["id"] == 1


@pytest.fixture(scope="module")
def db_layer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("bookshop-db")
    shutil.copytree(SAMPLE / "bookshop", root / "bookshop")
    for name in ("schema.sql", "seed.sql"):  # init_db_command reads them beside the package
        shutil.copy(SAMPLE / name, root / name)
    targets = [str(root / "bookshop" / "db.py"), str(root / "bookshop" / "services" / "catalog.py")]
    result = runner.invoke(app, ["apply", "--recipe", "psycopg2-to-asyncpg", "--propagate",
                                 "--root", str(root), *targets, "--in-place", "--allow-dirty"])
    assert result.exit_code == 0, result.output
    yield root


def test_the_database_layer_converts_and_the_click_command_runs_on_the_bridge(
    db_layer: Path,
) -> None:
    db = _source(db_layer, "db.py")
    for name in ("get_pool", "fetch_all", "fetch_one", "fetch_value", "execute"):
        assert f"\nasync def {name}(" in db, name
    assert "@asynccontextmanager\nasync def connection()" in db
    assert "stays sync" not in db
    assert ("# TODO[asyncify ASY901]: stays def, body bridged: it is passed as a value to code "
            "that calls it synchronously; meanwhile its body runs on the event loop through "
            "asyncify.bridge.run_async (call it from sync code only)") in db
    command = db[db.index("def init_db_command("):]
    assert command.startswith(
        'def init_db_command(seed: bool) -> None:\n'
        '    """Create the tables from schema.sql (and load seed.sql)."""\n'
        "    async def _body():\n"), command
    assert "        async with connection() as conn:\n" in command
    assert command.rstrip().endswith("    return run_async(_body)")
    assert "from asyncify.bridge import run_async" in db
    catalog = _source(db_layer, "services/catalog.py")
    assert "async def create_author(" in catalog and "await db.fetch_one(" in catalog
    # Idempotent: a second run changes nothing.
    again = runner.invoke(app, ["apply", "--recipe", "psycopg2-to-asyncpg", "--propagate",
                                "--root", str(db_layer), str(db_layer / "bookshop" / "db.py"),
                                str(db_layer / "bookshop" / "services" / "catalog.py")])
    assert again.exit_code == 0, again.output


def test_the_converted_database_layer_returns_what_the_legacy_one_returns(
    db_layer: Path, sample_harness: Any, postgres_dsn: str
) -> None:
    results = []
    with sample_harness.temporary_database(postgres_dsn, "bsdblayer") as legacy_url, \
            sample_harness.temporary_database(postgres_dsn, "bsdblayer") as async_url:
        for project, url in ((SAMPLE, legacy_url), (db_layer, async_url)):
            done = subprocess.run(
                [sys.executable, str(HERE / "bookshop_calls.py"), "db", url],
                env={**os.environ, "PYTHONPATH": str(project)}, capture_output=True, text=True,
                timeout=120, check=False)
            assert done.returncode == 0, done.stderr
            results.append(json.loads(done.stdout))
    legacy, converted = results
    assert converted == legacy
    assert legacy[0] == [0, "loaded schema.sql, seed.sql\n", None]
    assert legacy[-2] == [1, "", "42P07"]  # duplicate table: the exception reached the caller
    assert legacy[5] == 1 and legacy[6] == legacy[7]["stock"]  # the write, seen by the catalog
