"""bookshop fixtures: its database, the app served for real, an HTTP client, and a reseed
before every test (tests may write; each one starts from seed.sql)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg2
import pytest

PROJECT_DIR = Path(__file__).resolve().parents[1]
SCHEMA = PROJECT_DIR / "schema.sql"
SEED = PROJECT_DIR / "seed.sql"
API_TOKEN = "test-token"
DEFAULT_APP = "wsgi:bookshop.app:create_app()"


@pytest.fixture(scope="session")
def bookshop_db(temporary_database: Callable[..., Any]) -> Iterator[str]:
    with temporary_database("bookshop", SCHEMA, SEED) as url:
        yield url


@pytest.fixture(scope="session")
def bookshop_url(
    serve_app: Callable[..., Any], bookshop_db: str, upstream_url: str
) -> Iterator[str]:
    env = {
        "DATABASE_URL": bookshop_db,
        "UPSTREAM_URL": upstream_url,
        "API_TOKEN": API_TOKEN,
        "UPSTREAM_TIMEOUT": "0.5",
    }
    with serve_app(
        "BOOKSHOP_APP", default=DEFAULT_APP, project_dir=PROJECT_DIR, env=env, ready_path="/health"
    ) as url:
        yield url


@pytest.fixture(scope="session")
def client(bookshop_url: str) -> Iterator[httpx.Client]:
    """Redirects are not followed: tests assert them."""
    with httpx.Client(base_url=bookshop_url, timeout=10.0) as http:
        yield http


@pytest.fixture(scope="session")
def auth() -> dict[str, str]:
    return {"X-Api-Token": API_TOKEN}


@pytest.fixture(scope="session")
def db_conn(bookshop_db: str) -> Iterator[Any]:
    with contextlib.closing(psycopg2.connect(bookshop_db)) as conn:
        conn.autocommit = True
        with conn.cursor() as cur:
            # Never wait forever on a lock the app might hold.
            cur.execute("SET lock_timeout = '5s'")
        yield conn


@pytest.fixture(autouse=True)
def reseed(db_conn: Any) -> None:
    with db_conn.cursor() as cur:
        cur.execute(SEED.read_text(encoding="utf-8"))


@pytest.fixture
def query(db_conn: Any) -> Callable[..., list[tuple[Any, ...]]]:
    """Read the database directly, to check what a request changed."""

    def run(statement: str, params: Any = None) -> list[tuple[Any, ...]]:
        with db_conn.cursor() as cur:
            cur.execute(statement, params)
            return cur.fetchall()

    return run
