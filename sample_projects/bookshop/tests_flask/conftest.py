"""The bookshop driven in-process through Flask's test client, against a throwaway
PostgreSQL database, its upstreams mocked at the ``requests`` level: the style most Flask
projects' own suites are written in. asyncify's ``flask-tests-to-httpx`` recipe migrates
this directory as it is (see tests/e2e/test_gateway_test_migration.py)."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

PROJECT_DIR = Path(__file__).resolve().parents[1]
if importlib.util.find_spec("bookshop") is None:  # run from the repository: import the sample
    sys.path.insert(0, str(PROJECT_DIR))

from bookshop import db as bookshop_db  # noqa: E402
from bookshop.app import create_app  # noqa: E402

UPSTREAM = "http://upstream.test"


@pytest.fixture(scope="session")
def database(temporary_database: Callable[..., Any]) -> Iterator[str]:
    with temporary_database("bookshop_flask", PROJECT_DIR / "schema.sql",
                            PROJECT_DIR / "seed.sql") as url:
        yield url


@pytest.fixture
def app(database):
    # The bookshop keeps one pool per process, made on first use from the config: a pool that
    # other code in this pytest process made for another database must not serve these tests.
    pool = bookshop_db._pool
    if pool is not None and pool._kwargs.get("dsn") != database:
        pool.closeall()
        bookshop_db._pool = None
    return create_app({
        "TESTING": True,
        "DATABASE_URL": database,
        "UPSTREAM_URL": UPSTREAM,
        "UPSTREAM_TIMEOUT": 0.5,
        "API_TOKEN": "t0ken",
    })


@pytest.fixture
def client(app):
    return app.test_client()
