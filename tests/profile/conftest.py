"""Fixtures for the profiler tests: the sample harness (from tests/conftest.py), a real
PostgreSQL, and a profiled bookshop under gunicorn."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "sample_projects"
BOOKSHOP = SAMPLES / "bookshop"


@pytest.fixture(scope="session")
def harness(sample_harness: Any) -> Any:
    return sample_harness


@pytest.fixture(scope="session")
def postgres(postgres_dsn: str) -> str:
    """The admin DSN; fails (never skips) when PostgreSQL is unreachable."""
    return postgres_dsn


@pytest.fixture(scope="session")
def logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("profile-server-logs")


@pytest.fixture(scope="session")
def bookshop_root() -> Path:
    return BOOKSHOP


@pytest.fixture(scope="session")
def slow_upstream(harness: Any, logs: Path) -> Iterator[str]:
    """The fake upstream with 50 ms of injected latency on every answer."""
    with harness.serve_upstream(log_dir=logs, delay_ms=50) as server:
        yield server.url
