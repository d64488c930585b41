"""A team's own Flask-style test suite migrates with the app: the gateway, bookshop and notes
samples' ``tests_flask`` (Flask's test client; upstreams mocked with responses, requests-mock
and httmock; bookshop and notes on a throwaway PostgreSQL database, notes through
Flask-SQLAlchemy with no upstream) pass against the legacy app; `asyncify apply --recipe
flask-tests-to-httpx` (or its async option, `flask-tests-to-httpx-async`) rewrites it with no
TODO left; the rewritten suite passes against the sample migrated by `asyncify apply` (every
endpoint), in-process through the combined app; a second run of the recipe changes nothing."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from asyncify.cli import app

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "sample_projects"
RECIPES = ["flask-tests-to-httpx", "flask-tests-to-httpx-async"]
# Endpoints `apply ENDPOINT` leaves on the legacy app (declared on the app itself).
STAY_LEGACY = {
    "gateway": ("gateway.app.",),
    "bookshop": ("bookshop.app.", "bookshop.views.meta."),
    "notes": ("notes.app.",),
}
runner = CliRunner()


def run_suite(suite: Path, project: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(project)}
    env.pop("ASYNCIFY_COMBINED_APP", None)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-c",
         str(ROOT / "pyproject.toml"), "--rootdir", str(suite.parents[1]), str(suite)],
        cwd=suite.parents[1], env=env, capture_output=True, text=True, timeout=600,
    )


def passed(result: subprocess.CompletedProcess[str]) -> int:
    found = re.search(r"(\d+) passed", result.stdout)
    return int(found.group(1)) if found else 0


def migrated_project(root: Path, name: str) -> Path:
    """``name`` with every endpoint migrated (``name/`` legacy, ``name_async/`` twins)."""
    root.mkdir()
    shutil.copytree(SAMPLES / name / name, root / name)
    git = ["git", "-c", "user.email=e2e@test", "-c", "user.name=e2e"]
    subprocess.run([*git, "init", "-q"], cwd=root, check=True)
    subprocess.run([*git, "add", "."], cwd=root, check=True)
    subprocess.run([*git, "commit", "-qm", "legacy"], cwd=root, check=True)
    plan = runner.invoke(app, ["plan", str(root), "--format", "json", "--no-cache"])
    assert plan.exit_code == 0, plan.output
    endpoints = [e["id"] for e in json.loads(plan.stdout)["endpoints"]
                 if not e["id"].startswith(STAY_LEGACY[name])]
    applied = runner.invoke(app, ["apply", *endpoints, "--root", str(root), "--write",
                                  "--allow-dirty"])
    assert applied.exit_code == 0, applied.output
    assert (root / f"{name}_async" / "main.py").is_file()
    return root


@pytest.fixture(scope="module")
def projects(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("sample-tests")
    return {name: migrated_project(base / name, name) for name in STAY_LEGACY}


def suite_copy(name: str, where: Path) -> Path:
    """``sample_projects/<name>/tests_flask`` with what it needs around it: the samples'
    shared conftest and harness (throwaway databases) and the project's SQL files. The
    directory is not called ``<name>``, so it cannot shadow the package."""
    where.mkdir(parents=True)
    for shared in ("conftest.py", "harness.py"):
        shutil.copy(SAMPLES / shared, where / shared)
    project = where / f"{name}_sample"
    project.mkdir()
    for sql in (SAMPLES / name).glob("*.sql"):
        shutil.copy(sql, project / sql.name)
    shutil.copytree(SAMPLES / name / "tests_flask", project / "tests_flask",
                    ignore=shutil.ignore_patterns("__pycache__"))
    return project / "tests_flask"


def migrate(suite: Path, recipe: str, *, write: bool = True) -> Any:
    flags = ["--write", "--allow-dirty"] if write else []
    return runner.invoke(app, ["apply", "--recipe", recipe, str(suite),
                               "--root", str(suite.parent), *flags])


@pytest.mark.parametrize("recipe", RECIPES)
@pytest.mark.parametrize("name", sorted(STAY_LEGACY))
def test_flask_style_suite_migrates_and_passes(
    projects: dict[str, Path], tmp_path: Path, name: str, recipe: str
) -> None:
    project = projects[name]
    before = run_suite(suite_copy(name, tmp_path / "legacy"), project)
    assert before.returncode == 0, before.stdout[-3000:]

    suite = suite_copy(name, tmp_path / "migrated")
    applied = migrate(suite, recipe)
    assert applied.exit_code == 0, applied.output
    texts = {p.name: p.read_text() for p in suite.glob("*.py")}
    assert len(texts) > 1
    assert all("TODO[asyncify" not in text for text in texts.values()), texts
    client = ("httpx.AsyncClient(transport=httpx.ASGITransport(app=combined_app(app))"
              if recipe.endswith("async") else "asgi_client(combined_app(app))")
    assert client in texts["conftest.py"]
    for file, text in texts.items():
        assert ".test_client()" not in text and "get_json(" not in text, file
        assert "responses.add(" not in text and "requests_mock.get(" not in text, file
        assert "HTTMock(" not in text, file

    after = run_suite(suite, project)
    assert after.returncode == 0, after.stdout[-3000:]
    assert passed(after) == passed(before) > 0

    again = migrate(suite, recipe, write=False)
    assert again.exit_code == 0 and "would rewrite 0 file(s)" in again.stderr, again.output


# A twin broken so that its legacy view stays right, and the test that must then fail.
BROKEN_TWINS = {
    "gateway": ("fulfilment.py", '"/fulfilment/orders"', '"/fulfilment/order"', "test_checkout"),
    "notes": ("views/notes.py", "order_by(Note.pinned.desc(), Note.id)", "order_by(Note.id)",
              "test_list_pinned_first"),
}


@pytest.mark.parametrize("name", sorted(BROKEN_TWINS))
def test_migrated_suite_runs_the_migrated_endpoints(
    projects: dict[str, Path], tmp_path: Path, name: str
) -> None:
    """The migrated suite tests the twins, not the legacy views: break a twin and the
    suite fails (the legacy view it replaces stays correct)."""
    file, old, new, failing = BROKEN_TWINS[name]
    broken = tmp_path / "broken"
    shutil.copytree(projects[name], broken, ignore=shutil.ignore_patterns("__pycache__", ".git"))
    twin = broken / f"{name}_async" / file
    assert old in twin.read_text()
    twin.write_text(twin.read_text().replace(old, new))
    suite = suite_copy(name, tmp_path / "suite")
    applied = migrate(suite, "flask-tests-to-httpx")
    assert applied.exit_code == 0, applied.output
    result = run_suite(suite, broken)
    assert result.returncode == 1, result.stdout[-3000:]
    assert re.search(rf"^FAILED \S+::{failing}\b", result.stdout, re.M), result.stdout[-3000:]
