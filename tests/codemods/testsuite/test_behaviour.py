"""Behaviour kept, end to end: a Flask-style test module (test client; upstream mocked with
responses, requests-mock, httmock and mock.patch) passes against a small Flask app; migrated by the
`flask-tests-to-httpx` recipe (sync client) or `flask-tests-to-httpx-async` (AsyncClient,
anyio), it passes against the equivalent FastAPI + httpx app. All runs are real pytest runs
in a subprocess."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from asyncify.codemods import select, transform

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]


def run(project: Path, suite: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(project)}
    env.pop("ASYNCIFY_COMBINED_APP", None)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-c",
         str(ROOT / "pyproject.toml"), "--rootdir", str(project), str(suite)],
        cwd=project, env=env, capture_output=True, text=True, timeout=300,
    )


def passed(result: subprocess.CompletedProcess[str]) -> int:
    found = re.search(r"(\d+) passed", result.stdout)
    return int(found.group(1)) if found else 0


RECIPES = ["flask-tests-to-httpx", "flask-tests-to-httpx-async"]


@pytest.mark.parametrize("recipe", RECIPES)
def test_migrated_module_passes_against_the_fastapi_app(tmp_path: Path, recipe: str) -> None:
    legacy = tmp_path / "legacy"
    shutil.copytree(HERE / "demo_project", legacy, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.rmtree(legacy / "demo_async")  # only the Flask app
    before = run(legacy, legacy / "tests")
    assert before.returncode == 0, before.stdout[-3000:]

    migrated = tmp_path / "migrated"
    shutil.copytree(HERE / "demo_project", migrated,
                    ignore=shutil.ignore_patterns("__pycache__"))
    rules = select(recipe)
    statuses = {}
    for path in sorted((migrated / "tests").glob("*.py")):
        outcome = transform(str(path), path.read_bytes(), rules)
        statuses[path.name] = outcome.status
        assert outcome.status != "failed", outcome.reason
        assert not outcome.todos, outcome.todos
        if outcome.new is not None:
            path.write_bytes(outcome.new)
    assert statuses == {"conftest.py": "changed", "test_demo.py": "changed",
                        "test_pure.py": "unchanged"}
    assert (migrated / "tests" / "test_pure.py").read_bytes() == (
        HERE / "demo_project" / "tests" / "test_pure.py").read_bytes()
    # The Flask app is still what the fixture builds; the client drives the FastAPI twin.
    after = run(migrated, migrated / "tests")
    assert after.returncode == 0, after.stdout[-3000:]
    assert passed(after) == passed(before) == 10
    if recipe.endswith("async"):
        assert "async def test_rate(client)" in (migrated / "tests" / "test_demo.py").read_text()
    for path in (migrated / "tests").glob("*.py"):
        assert transform(str(path), path.read_bytes(), rules).status == "unchanged", path


@pytest.mark.parametrize("recipe", RECIPES)
def test_migrated_module_fails_against_a_wrong_app(tmp_path: Path, recipe: str) -> None:
    """The migrated tests really run against the FastAPI app: a wrong answer there fails."""
    project = tmp_path / "p"
    shutil.copytree(HERE / "demo_project", project, ignore=shutil.ignore_patterns("__pycache__"))
    main = project / "demo_async" / "main.py"
    main.write_text(main.read_text().replace('"rate": r.json()["rate"]',
                                             '"rate": r.json()["rate"] * 2'))
    rules = select(recipe)
    for path in (project / "tests").glob("*.py"):
        outcome = transform(str(path), path.read_bytes(), rules)
        if outcome.new is not None:
            path.write_bytes(outcome.new)
    result = run(project, project / "tests")
    assert result.returncode == 1
    assert "2 failed, 8 passed" in result.stdout, result.stdout[-3000:]
