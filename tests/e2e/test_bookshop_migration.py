"""The migration loop on the bookshop sample (Flask + psycopg2 + requests, real PostgreSQL):
every blueprint endpoint in the order `asyncify plan` recommends, one at a time; after each
step the sample's own HTTP suite passes against the combined app and the legacy package is
byte-identical. Endpoints whose endpoint layer cannot be converted yet (the MethodView) are
reported as staying on the legacy app."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from asyncify.cli import app

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_projects" / "bookshop"
runner = CliRunner()


def digest(tree: Path) -> dict[str, str]:
    return {
        str(p.relative_to(tree)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(tree.rglob("*")) if p.is_file() and "__pycache__" not in p.parts
    }


def test_endpoint_by_endpoint(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    project.mkdir()
    shutil.copytree(SAMPLE / "bookshop", project / "bookshop")
    legacy = digest(project / "bookshop")
    plan = runner.invoke(app, ["plan", str(project), "--format", "json", "--no-cache"])
    assert plan.exit_code == 0, plan.output
    endpoints = json.loads(plan.stdout)["endpoints"]
    # Routes declared on the app object itself (in the factory, or with app.add_url_rule)
    # are refused by `apply ENDPOINT` for now: they stay on the legacy app.
    order = [e["id"] for e in endpoints
             if e["id"] not in ("bookshop.views.meta.index", "bookshop.views.meta.health")
             and ".<locals>." not in e["id"]]
    assert len(order) == 15
    env = {**os.environ, "BOOKSHOP_APP": "asgi:bookshop_async.main:app",
           "PYTHONPATH": str(project)}
    for step, endpoint in enumerate(order, 1):
        applied = runner.invoke(app, ["apply", endpoint, "--root", str(project), "--write"])
        assert applied.exit_code == 0, f"step {step} ({endpoint}): {applied.output}"
        suite = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x",
             str(SAMPLE / "tests")],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
        )
        assert suite.returncode == 0, (
            f"step {step} ({endpoint}): the suite failed\n{suite.stdout[-3000:]}")
        assert digest(project / "bookshop") == legacy, f"step {step} wrote a legacy file"
    again = runner.invoke(app, ["apply", order[0], "--root", str(project)])
    assert again.exit_code == 0 and again.stdout == ""
    assert "OrderAPI stays on the legacy app" in again.stderr
