"""Fixtures shared by the sample projects' suites: a throwaway PostgreSQL database per test
session, the fake upstream services, and the app under test served for real.

The app under test is chosen per project by an environment variable holding an app spec
(see ``asyncify.verify.AppSpec``): ``BOOKSHOP_APP`` and ``GATEWAY_APP``, defaulting to the legacy
Flask apps under gunicorn, e.g. ``BOOKSHOP_APP=asgi:bookshop_async.main:app`` serves a
migrated app with uvicorn instead.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest


def _load_harness() -> Any:
    # Loaded by path under a private name: putting sample_projects/ on sys.path would make
    # "bookshop" and "gateway" importable as namespace packages in the test process.
    name = "asyncify_sample_harness"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("harness.py"))
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


harness = _load_harness()


@pytest.fixture(scope="session")
def sample_harness() -> Any:
    """The harness module itself (free ports, extra servers) for project-specific fixtures."""
    return harness


@pytest.fixture(scope="session")
def postgres_dsn() -> str:
    """The admin DSN; fails (never skips) every test that needs it when PostgreSQL is down."""
    dsn = harness.admin_dsn()
    try:
        harness.check_postgres(dsn)
    except harness.PostgresUnavailable as exc:
        problem = str(exc)
    else:
        return dsn
    pytest.fail(problem, pytrace=False)  # outside the except: no chained tracebacks


@pytest.fixture(scope="session")
def temporary_database(postgres_dsn: str) -> Callable[..., contextlib.AbstractContextManager[str]]:
    """``with temporary_database("bookshop", schema, seed) as url:`` — a fresh database."""

    def create(prefix: str, *sql_files: Path) -> contextlib.AbstractContextManager[str]:
        return harness.temporary_database(postgres_dsn, prefix, *sql_files)

    return create


@pytest.fixture(scope="session")
def server_logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("server-logs")


@pytest.fixture(scope="session")
def upstream_url(server_logs: Path) -> Iterator[str]:
    """Base URL of the fake upstream services (uvicorn on a free 127.0.0.1 port)."""
    problem = None
    try:
        with harness.serve_upstream(log_dir=server_logs) as server:
            yield server.url
    except harness.ServerError as exc:
        problem = f"upstream: {exc}"
    if problem:
        pytest.fail(problem, pytrace=False)


@pytest.fixture(scope="session")
def serve_app(server_logs: Path) -> Callable[..., contextlib.AbstractContextManager[str]]:
    """``with serve_app("BOOKSHOP_APP", default=..., project_dir=..., env=...) as url:``

    Serves the app named by the environment variable (or ``default``) and yields its base URL.
    """

    @contextlib.contextmanager
    def serve(
        spec_variable: str,
        *,
        default: str,
        project_dir: Path,
        env: Mapping[str, str],
        ready_path: str,
    ) -> Iterator[str]:
        text = os.environ.get(spec_variable) or default
        problem = None
        try:
            spec = harness.AppSpec.parse(text)
            with harness.serve_app(
                spec, project_dir=project_dir, env=env, ready_path=ready_path, log_dir=server_logs
            ) as server:
                yield server.url
        except (harness.UsageError, harness.ServerError) as exc:
            problem = f"{spec_variable}={text!r}: {exc}"
        if problem:
            pytest.fail(problem, pytrace=False)

    return serve
