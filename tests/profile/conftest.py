"""Fixtures for the profiler tests: the sample harness (loaded by path, as
sample_projects/conftest.py does), a real PostgreSQL, and a profiled bookshop under gunicorn."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "sample_projects"
BOOKSHOP = SAMPLES / "bookshop"


def _load_harness() -> Any:
    name = "asyncify_sample_harness"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, SAMPLES / "harness.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


@pytest.fixture(scope="session")
def harness() -> Any:
    return _load_harness()


@pytest.fixture(scope="session")
def postgres(harness: Any) -> str:
    """The admin DSN; fails (never skips) when PostgreSQL is unreachable."""
    dsn = harness.admin_dsn()
    try:
        harness.check_postgres(dsn)
    except harness.PostgresUnavailable as exc:
        problem = str(exc)
    else:
        return dsn
    pytest.fail(problem, pytrace=False)


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
