"""ASY706's ``with patch("...requests.<verb>") as m:`` translation, run for real: a test
module patching requests inside ``with`` blocks passes against demo_project's Flask app;
migrated (``with http_mock:`` and respx routes), it passes against the FastAPI twin, whose
views call httpx, so the routes answer them; with a wrong twin it fails. Real pytest runs in
a subprocess, as in test_behaviour.py."""

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

SUITE = """\
from unittest import mock

import requests


def test_rate_in_a_patched_block(client):
    with mock.patch("demo.app.requests.get") as get:
        get.return_value.status_code = 200
        get.return_value.json.return_value = {"rate": 3.5}
        r = client.get("/rate?currency=JPY")
        assert r.get_json() == {"currency": "JPY", "rate": 3.5}
        get.assert_called_once()


def test_two_patches_in_one_with(client):
    with mock.patch("demo.app.requests.post") as post, mock.patch.object(requests, "get") as get:
        post.return_value.status_code = 201
        post.return_value.json.return_value = {"id": 9}
        r = client.post("/orders", data={"sku": "C-3"})
        assert r.status_code == 201
        assert r.get_json() == {"id": 9}
        assert post.call_count == 1
        get.assert_not_called()


def test_upstream_timeout_in_a_block(client):
    with mock.patch("demo.app.requests.get") as get:
        get.side_effect = requests.exceptions.ReadTimeout()
        try:
            client.get("/rate")
        except Exception as exc:  # TESTING propagates it
            assert "Timeout" in type(exc).__name__
        else:
            raise AssertionError("the mocked timeout did not propagate")
        assert get.called
"""


def run(project: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(project)}
    env.pop("ASYNCIFY_COMBINED_APP", None)
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-c",
            str(ROOT / "pyproject.toml"),
            "--rootdir",
            str(project),
            str(project / "tests"),
        ],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def project(tmp_path: Path, name: str) -> Path:
    """demo_project with only its conftest and :data:`SUITE` as tests."""
    root = tmp_path / name
    shutil.copytree(HERE / "demo_project", root, ignore=shutil.ignore_patterns("__pycache__"))
    for path in (root / "tests").glob("test_*.py"):
        path.unlink()
    (root / "tests" / "test_with_patch.py").write_text(SUITE)
    return root


def migrate(root: Path, recipe: str) -> str:
    rules = select(recipe)
    for path in sorted((root / "tests").glob("*.py")):
        outcome = transform(str(path), path.read_bytes(), rules)
        assert outcome.status != "failed", outcome.reason
        assert not outcome.todos, outcome.todos
        if outcome.new is not None:
            path.write_bytes(outcome.new)
        assert transform(str(path), path.read_bytes(), rules).status == "unchanged", path
    return (root / "tests" / "test_with_patch.py").read_text()


@pytest.mark.parametrize("recipe", ["flask-tests-to-httpx", "flask-tests-to-httpx-async"])
def test_with_patch_blocks_keep_mocking_after_migration(tmp_path: Path, recipe: str) -> None:
    legacy = project(tmp_path, "legacy")
    shutil.rmtree(legacy / "demo_async")  # only the Flask app
    before = run(legacy)
    assert before.returncode == 0 and "3 passed" in before.stdout, before.stdout[-3000:]

    migrated = project(tmp_path, "migrated")
    text = migrate(migrated, recipe)
    assert text.count("with http_mock:") == 3 and "mock.patch" not in text, text
    assert re.search(
        r"get = http_mock\.get\(\)\n\s+get\.side_effect = httpx\.ReadTimeout\n", text
    ), text
    after = run(migrated)
    assert after.returncode == 0 and "3 passed" in after.stdout, after.stdout[-3000:]

    wrong = project(tmp_path, "wrong")
    main = wrong / "demo_async" / "main.py"
    main.write_text(
        main.read_text().replace('"rate": r.json()["rate"]', '"rate": r.json()["rate"] * 2')
    )
    migrate(wrong, recipe)
    failing = run(wrong)
    assert failing.returncode == 1
    assert "1 failed, 2 passed" in failing.stdout, failing.stdout[-3000:]
