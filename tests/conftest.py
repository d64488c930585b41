"""Shared fixtures: small projects written to a temporary directory, and the plan API."""

from __future__ import annotations

import importlib.util
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from asyncify import api
from asyncify.planner import to_data

WriteProject = Callable[[dict[str, str]], Path]

SAMPLES = Path(__file__).resolve().parents[1] / "sample_projects"


def _sample_harness() -> Any:
    # Loaded by path under the name sample_projects/conftest.py uses, so both share one
    # module (putting sample_projects/ on sys.path would make the samples importable here).
    name = "asyncify_sample_harness"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, SAMPLES / "harness.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


@pytest.fixture(scope="session")
def sample_harness() -> Any:
    """``sample_projects/harness.py``: throwaway databases, servers, free or refused ports."""
    return _sample_harness()


@pytest.fixture(scope="session")
def postgres_dsn(sample_harness: Any) -> str:
    """The admin DSN; fails (never skips) every test that needs it when PostgreSQL is down."""
    dsn = sample_harness.admin_dsn()
    try:
        sample_harness.check_postgres(dsn)
    except sample_harness.PostgresUnavailable as exc:
        problem = str(exc)
    else:
        return str(dsn)
    pytest.fail(problem, pytrace=False)  # outside the except: no chained tracebacks


@pytest.fixture
def write_project(tmp_path: Path) -> WriteProject:
    """Write ``{relative path: source}`` under a fresh directory and return its root."""

    def write(files: dict[str, str]) -> Path:
        root = tmp_path / "project"
        for rel, text in files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return root

    return write


class Planner:
    """Runs ``asyncify.api.plan`` and digs into its JSON data (the public schema)."""

    @staticmethod
    def plan(root: Path) -> dict[str, Any]:
        return to_data(api.plan(root, use_cache=False))

    @staticmethod
    def endpoint(data: dict[str, Any], ident: str) -> dict[str, Any]:
        matches = [e for e in data["endpoints"] if e["id"] == ident]
        assert matches, f"no endpoint {ident!r} in {[e['id'] for e in data['endpoints']]}"
        return matches[0]

    def operations(self, data: dict[str, Any], ident: str) -> list[tuple[str, str, int]]:
        """(operation, file, line) of every blocking call the endpoint reaches."""
        found = self.endpoint(data, ident)["blocking"]
        return sorted((b["operation"], b["file"], b["line"]) for b in found)


@pytest.fixture
def planner() -> Planner:
    return Planner()
