"""notes fixtures: its database, the app served for real (``NOTES_APP``), an HTTP client, and
a reseed before every test (tests may write; each one starts from seed.sql)."""

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
DEFAULT_APP = "wsgi:notes.app:create_app()"


@pytest.fixture(scope="session")
def notes_db(temporary_database: Callable[..., Any]) -> Iterator[str]:
    with temporary_database("notes", SCHEMA, SEED) as url:
        yield url


@pytest.fixture(scope="session")
def notes_url(serve_app: Callable[..., Any], notes_db: str) -> Iterator[str]:
    with serve_app(
        "NOTES_APP", default=DEFAULT_APP, project_dir=PROJECT_DIR,
        env={"DATABASE_URL": notes_db}, ready_path="/health",
    ) as url:
        yield url


@pytest.fixture(scope="session")
def client(notes_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=notes_url, timeout=10.0) as http:
        yield http


@pytest.fixture(scope="session")
def db_conn(notes_db: str) -> Iterator[Any]:
    with contextlib.closing(psycopg2.connect(notes_db)) as conn:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("SET lock_timeout = '5s'")  # never wait forever on the app's locks
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
