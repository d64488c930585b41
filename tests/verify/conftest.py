"""Fixtures for verify's end-to-end tests: the sample bookshop, a seeded database, the fake
upstream, and the environment the apps are started with. Servers run on 127.0.0.1 and stop
at teardown; a PostgreSQL that does not answer fails these tests, never skips them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
BOOKSHOP = ROOT / "sample_projects" / "bookshop"
APPS = Path(__file__).resolve().parent / "apps"
LEGACY = "wsgi:bookshop.app:create_app()"
API_TOKEN = "verify-token"


def _database(harness: Any, dsn: str, prefix: str) -> Any:
    return harness.temporary_database(dsn, prefix, BOOKSHOP / "schema.sql", BOOKSHOP / "seed.sql")


@pytest.fixture(scope="session")
def bookshop_db(sample_harness: Any, postgres_dsn: str) -> Iterator[str]:
    """Seeded; shared by the read-only runs (reads never change it)."""
    with _database(sample_harness, postgres_dsn, "verifyreads") as url:
        yield url


@pytest.fixture(scope="session")
def template_db(sample_harness: Any, postgres_dsn: str) -> Iterator[str]:
    """Seeded and never connected to: scratch databases are cloned from it."""
    with _database(sample_harness, postgres_dsn, "verifytemplate") as url:
        yield url


@pytest.fixture(scope="session")
def upstream_url(
    sample_harness: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    with sample_harness.serve_upstream(log_dir=tmp_path_factory.mktemp("upstream")) as server:
        yield server.url


@pytest.fixture
def app_env(upstream_url: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """What both bookshops are started with; the altered apps are importable too."""
    monkeypatch.setenv("PYTHONPATH", str(APPS))
    return {"UPSTREAM_URL": upstream_url, "API_TOKEN": API_TOKEN, "UPSTREAM_TIMEOUT": "2"}


@pytest.fixture
def overrides(app_env: dict[str, str], bookshop_db: str) -> dict[str, Any]:
    return {
        "env": {**app_env, "DATABASE_URL": bookshop_db},
        "ready_path": "/health",
        "request_headers": {"X-Api-Token": API_TOKEN},
    }
