"""``asyncify check`` on the command line: formats, exit codes, suppressions, config,
baselines and the warm cache."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from asyncify import api
from asyncify.cli import app

SCHEMA = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"
WriteProject = Callable[[dict[str, str]], Path]

HALF = {
    "app/helpers.py": """
        import requests

        def get_json(url):
            return requests.get(url).json()
        """,
    "app/views.py": """
        import time

        from app.helpers import get_json

        async def prices(url):
            time.sleep(1)
            return get_json(url)
        """,
    "app/__init__.py": "",
}


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["check", *args])
    return result.exit_code, result.stdout, result.stderr


def test_clean_project_exits_0(write_project: WriteProject):
    root = write_project({"app.py": "async def f():\n    return 1\n"})
    assert run(str(root)) == (0, "", "")


def test_findings_exit_1_as_path_line_col_id_message(write_project: WriteProject):
    code, out, err = run(str(write_project(HALF)))
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith("app/views.py:6:5 ASY605 blocking sleep call time.sleep()")
    assert lines[1].startswith("app/views.py:7:12 ASY610 async def prices calls sync helper "
                               "get_json(), which blocks on http call requests.get() at "
                               "app/helpers.py:4")
    assert err == "asyncify: 2 finding(s)\n"


@pytest.mark.parametrize("args", [["--select", "ASY9"], ["--baseline", "missing.json"]])
def test_usage_errors_exit_2(write_project: WriteProject, args: list[str]):
    code, out, err = run(str(write_project(HALF)), *args)
    assert code == 2 and out == ""
    assert err.startswith("asyncify: error: ")


def test_no_python_files_exit_2(tmp_path: Path):
    assert run(str(tmp_path))[0] == 2


def test_json_output(write_project: WriteProject):
    code, out, _ = run(str(write_project(HALF)), "--format", "json")
    data = json.loads(out)
    assert code == 1 and data["counts"] == {"ASY605": 1, "ASY610": 1}
    step_lines = [(s["path"], s["line"]) for s in data["findings"][1]["steps"]]
    assert step_lines == [("app/views.py", 7), ("app/helpers.py", 4)]


def test_sarif_output_is_valid_sarif_2_1_0(write_project: WriteProject):
    code, out, _ = run(str(write_project(HALF)), "--format", "sarif")
    sarif = json.loads(out)
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator(schema).validate(sarif)
    results = sarif["runs"][0]["results"]
    assert code == 1 and [r["ruleId"] for r in results] == ["ASY605", "ASY610"]
    flow = results[1]["codeFlows"][0]["threadFlows"][0]["locations"]
    assert flow[-1]["location"]["physicalLocation"]["artifactLocation"]["uri"] == (
        "app/helpers.py")


def test_inline_suppressions(write_project: WriteProject):
    files = dict(HALF)
    files["app/views.py"] = files["app/views.py"].replace(
        "time.sleep(1)", "time.sleep(1)  # asyncify: ignore[ASY605]").replace(
        "return get_json(url)", "return get_json(url)  # asyncify: ignore")
    assert run(str(write_project(files)))[0] == 0


def test_suppression_of_another_rule_keeps_the_finding(write_project: WriteProject):
    files = dict(HALF)
    files["app/views.py"] = files["app/views.py"].replace(
        "time.sleep(1)", "time.sleep(1)  # asyncify: ignore[ASY610]")
    code, out, _ = run(str(write_project(files)), "--select", "ASY605")
    assert code == 1 and "ASY605" in out


def test_config_select_and_ignore(write_project: WriteProject):
    files = dict(HALF)
    files["pyproject.toml"] = "[tool.asyncify.check]\nignore = ['ASY605']\n"
    code, out, _ = run(str(write_project(files)))
    assert code == 1 and "ASY605" not in out and "ASY610" in out
    code, out, _ = run(str(write_project(files)), "--ignore", "ASY610")
    assert "ASY605" in out and "ASY610" not in out


def test_bad_config_exits_2(write_project: WriteProject):
    files = dict(HALF)
    files["pyproject.toml"] = "[tool.asyncify.check]\nselekt = ['ASY605']\n"
    code, _, err = run(str(write_project(files)))
    assert code == 2 and "selekt" in err


def test_baseline_fails_only_on_new_findings(write_project: WriteProject):
    root = write_project(HALF)
    baseline = root / "asyncify-baseline.json"
    code, _, err = run(str(root), "--write-baseline", str(baseline))
    assert code == 0 and "wrote 2 finding(s)" in err
    assert run(str(root), "--baseline", str(baseline))[0] == 0
    views = root / "app" / "views.py"
    # Moving code does not resurrect old findings; a new blocking call is reported.
    views.write_text("\n\n" + views.read_text() + "\nasync def more():\n    time.sleep(2)\n")
    code, out, err = run(str(root), "--baseline", str(baseline))
    assert code == 1 and out.count("\n") == 1 and "more" in out
    assert "2 more in the baseline" in err


def test_warm_run_gives_the_same_findings(write_project: WriteProject):
    root = write_project(HALF)
    cold = api.check(root)
    warm = api.check(root)
    assert warm.parsed == 0 and cold.parsed == 3
    assert warm.findings == cold.findings


def test_plan_and_check_caches_do_not_evict_each_other(write_project: WriteProject):
    root = write_project(HALF)
    api.check(root)
    api.plan(root)
    assert api.check(root).parsed == 0
