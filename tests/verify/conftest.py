"""Fixtures for verify's end-to-end tests: the sample bookshop, a seeded database, the fake
upstream, and the environment the apps are started with. Servers run on 127.0.0.1 and stop
at teardown; a PostgreSQL that does not answer fails these tests, never skips them."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
BOOKSHOP = ROOT / "sample_projects" / "bookshop"
APPS = Path(__file__).resolve().parent / "apps"
LEGACY = "wsgi:bookshop.app:create_app()"
API_TOKEN = "verify-token"


def _harness() -> Any:
    name = "asyncify_sample_harness"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, ROOT / "sample_projects" / "harness.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


harness = _harness()


@pytest.fixture(scope="session")
def sample_harness() -> Any:
    """``sample_projects/harness.py`` (refused ports, direct database access)."""
    return harness


@pytest.fixture(scope="session")
def postgres_dsn() -> str:
    dsn = harness.admin_dsn()
    try:
        harness.check_postgres(dsn)
    except harness.PostgresUnavailable as exc:
        problem = str(exc)
    else:
        return dsn
    pytest.fail(problem, pytrace=False)


def _database(dsn: str, prefix: str) -> Any:
    return harness.temporary_database(dsn, prefix, BOOKSHOP / "schema.sql", BOOKSHOP / "seed.sql")


@pytest.fixture(scope="session")
def bookshop_db(postgres_dsn: str) -> Iterator[str]:
    """Seeded; shared by the read-only runs (reads never change it)."""
    with _database(postgres_dsn, "verifyreads") as url:
        yield url


@pytest.fixture(scope="session")
def template_db(postgres_dsn: str) -> Iterator[str]:
    """Seeded and never connected to: scratch databases are cloned from it."""
    with _database(postgres_dsn, "verifytemplate") as url:
        yield url


@pytest.fixture(scope="session")
def upstream_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with harness.serve_upstream(log_dir=tmp_path_factory.mktemp("upstream")) as server:
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
