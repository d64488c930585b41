"""The migration loop a team runs, on the gateway sample: in the order `asyncify plan`
recommends, apply one endpoint at a time (the route the app declares on itself too); after
every step the sample's own HTTP test suite passes against the combined app (real uvicorn,
real upstream), and the legacy package stays byte-identical. At the end, `asyncify verify`
finds no difference between the legacy app and the combined one on the routes it generates."""

from __future__ import annotations

import hashlib
import json
import os
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
runner = CliRunner()


def digest(tree: Path) -> dict[str, str]:
    return {
        str(p.relative_to(tree)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(tree.rglob("*")) if p.is_file() and "__pycache__" not in p.parts
    }


def run_suite(project: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GATEWAY_APP": "asgi:gateway_async.main:app",
           "PYTHONPATH": str(project)}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x",
         str(SAMPLES / "gateway" / "tests")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("gateway") / "proj"
    root.mkdir()
    shutil.copytree(SAMPLES / "gateway" / "gateway", root / "gateway")
    git = ["git", "-c", "user.email=e2e@test", "-c", "user.name=e2e"]
    subprocess.run([*git, "init", "-q"], cwd=root, check=True)
    subprocess.run([*git, "add", "."], cwd=root, check=True)
    subprocess.run([*git, "commit", "-qm", "legacy"], cwd=root, check=True)
    return root


def test_endpoint_by_endpoint(project: Path, tmp_path: Path, sample_harness: Any) -> None:
    legacy = digest(project / "gateway")
    plan = runner.invoke(app, ["plan", str(project), "--format", "json", "--no-cache"])
    assert plan.exit_code == 0, plan.output
    order = [e["id"] for e in json.loads(plan.stdout)["endpoints"]]
    assert len(order) == 10  # gateway.app.healthz, declared on the app, among them
    for step, endpoint in enumerate(order, 1):
        applied = runner.invoke(app, ["apply", endpoint, "--root", str(project), "--write",
                                      "--allow-dirty"])
        assert applied.exit_code == 0, f"step {step} ({endpoint}): {applied.output}"
        suite = run_suite(project)
        assert suite.returncode == 0, (
            f"step {step} ({endpoint}): the suite failed\n{suite.stdout[-3000:]}")
        assert digest(project / "gateway") == legacy, f"step {step} wrote a legacy file"
    again = runner.invoke(app, ["apply", order[-1], "--root", str(project)])
    assert again.exit_code == 0 and again.stdout == "", "re-applying changed something"
    streamed = "gateway_async/views/products.py: product_reviews_stream stays on the legacy app"
    assert streamed in again.stderr

    with sample_harness.serve_upstream(log_dir=tmp_path) as upstream:
        verify = runner.invoke(app, [
            "verify", str(project), "--legacy", "wsgi:gateway.app:create_app()",
            "--candidate", "asgi:gateway_async.main:app",
            "--env", f"UPSTREAM_URL={upstream.url}", "--env", "UPSTREAM_TIMEOUT=0.5",
        ])
    assert verify.exit_code == 0, verify.output
    assert " 0 mismatch(es)" in verify.stderr


def test_check_on_the_migrated_project(project: Path, tmp_path: Path) -> None:
    """Fully migrated: no finding. Half-migrated (a converted call put back by hand): the
    blocking call is reported with where it is."""
    clean = runner.invoke(app, ["check", str(project), "--no-cache"])
    assert clean.exit_code == 0, clean.output
    half = tmp_path / "half"
    shutil.copytree(project, half)
    twin = half / "gateway_async" / "fulfilment.py"
    text = twin.read_text()
    assert "await http_client().post(" in text
    twin.write_text("import requests\n" + text.replace("await http_client().post(",
                                                      "requests.post("))
    found = runner.invoke(app, ["check", str(half), "--no-cache", "--format", "json"])
    assert found.exit_code == 1, found.output
    findings = json.loads(found.stdout)["findings"]
    assert any(f["path"] == "gateway_async/fulfilment.py" and "requests.post" in f["message"]
               for f in findings), findings


def test_unknown_endpoint(project: Path) -> None:
    unknown = runner.invoke(app, ["apply", "gateway.views.shop.chekout", "--root", str(project)])
    assert unknown.exit_code == 2
    assert "did you mean 'gateway.views.shop.checkout'" in unknown.stderr
