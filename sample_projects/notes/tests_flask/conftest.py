"""The notes service driven in-process through Flask's test client, on a throwaway PostgreSQL
database that every test starts from seed.sql again (tests write), checked through the app's
own Flask-SQLAlchemy models: the style most Flask-SQLAlchemy projects' own suites are written
in. asyncify's ``flask-tests-to-httpx`` recipe migrates this directory as it is (see
tests/e2e/test_gateway_test_migration.py)."""

from __future__ import annotations

import contextlib
import importlib.util
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg2
import pytest

PROJECT_DIR = Path(__file__).resolve().parents[1]
if importlib.util.find_spec("notes") is None:  # run from the repository: import the sample
    sys.path.insert(0, str(PROJECT_DIR))

from notes.app import create_app  # noqa: E402
from notes.extensions import db  # noqa: E402

SEED = PROJECT_DIR / "seed.sql"


@pytest.fixture(scope="session")
def database(temporary_database: Callable[..., Any]) -> Iterator[str]:
    with temporary_database("notes_flask", PROJECT_DIR / "schema.sql", SEED) as url:
        yield url


@pytest.fixture(autouse=True)
def reseed(database):
    # seed.sql truncates and restarts the identities: ids are the same in every test.
    with contextlib.closing(psycopg2.connect(database)) as conn, conn.cursor() as cur:
        cur.execute("SET lock_timeout = '5s'")  # never wait forever on a leaked session
        cur.execute(SEED.read_text(encoding="utf-8"))
        conn.commit()


@pytest.fixture
def app(database, reseed, monkeypatch):
    # The factory reads its database from the environment, as in production.
    monkeypatch.setenv("DATABASE_URL", database)
    app = create_app()
    app.config["TESTING"] = True
    yield app
    with app.app_context():
        db.engine.dispose()  # one engine per app: do not keep its pool past the test


@pytest.fixture
def client(app):
    return app.test_client()
