"""The ``asyncify plan`` command: formats, output file, exit codes, and bad input.

Bad input gets one line on stderr naming the file and the fix, and the run goes on; an
unusable argument exits 2.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from asyncify.cli import app

runner = CliRunner()

GOOD = {
    "svc/__init__.py": "",
    "svc/app.py": """
        import requests
        from flask import Flask

        app = Flask(__name__)

        @app.route("/weather")
        def weather():
            return requests.get("http://upstream/weather", timeout=2).json()

        @app.route("/version")
        def version():
            return {"version": 1}
    """,
}


def invoke(*args: str):
    return runner.invoke(app, ["plan", *args])


def test_json_format_lists_endpoints_and_exits_0(write_project):
    root = write_project(GOOD)
    result = invoke(str(root), "--format", "json", "--no-cache")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["schema"] == "asyncify.plan/1"
    assert [(e["path"], e["io"], e["wave"]) for e in data["endpoints"]] == [
        ("/weather", True, 2), ("/version", False, 4),
    ]
    assert data["endpoints"][1]["verdict"].startswith("no benefit")


def test_markdown_and_output_file(write_project, tmp_path):
    root = write_project(GOOD)
    out = tmp_path / "plan.md"
    result = invoke(str(root), "--format", "markdown", "--output", str(out))
    assert result.exit_code == 0, result.output
    text = out.read_text()
    assert "| 1 | 2 | GET | `/weather` |" in text
    assert "svc/app.py:8" in text and "requests.get" in text
    assert result.stdout == ""


def test_table_format(write_project):
    root = write_project(GOOD)
    result = invoke(str(root))
    assert result.exit_code == 0, result.output
    assert "/weather" in result.stdout and "Wave 2" in result.stdout


def test_missing_path_exits_2():
    result = invoke("/definitely/not/here")
    assert result.exit_code == 2
    assert "does not exist" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_empty_directory_exits_2(tmp_path):
    result = invoke(str(tmp_path))
    assert result.exit_code == 2
    assert "no Python files" in result.stderr


def test_bad_format_is_a_usage_error(write_project):
    result = invoke(str(write_project(GOOD)), "--format", "yaml")
    assert result.exit_code == 2


BAD_FILES: dict[str, tuple[bytes, str]] = {
    "syntax": (b"def broken(:\n    pass\n", "syntax error"),
    "python2": (b"import os\nprint 'hello'\n", "looks like Python 2 code"),
    "binary": (b"\x00\x01\x02ELF\x00", "binary file"),
    "latin1": (b"name = '\xe9t\xe9'\n", "cannot decode source"),
}


@pytest.mark.parametrize("kind", sorted(BAD_FILES))
def test_bad_file_is_one_line_and_the_run_goes_on(write_project, kind):
    root = write_project(GOOD)
    data, expected = BAD_FILES[kind]
    (root / "svc" / f"bad_{kind}.py").write_bytes(data)
    result = invoke(str(root), "--format", "json", "--no-cache")
    assert result.exit_code == 0, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"svc/bad_{kind}.py")
    assert expected in lines[0]
    assert "(" in lines[0]  # the remedy, in parentheses
    payload = json.loads(result.stdout)
    assert len(payload["endpoints"]) == 2
    assert payload["diagnostics"][0]["path"] == f"svc/bad_{kind}.py"


def test_malformed_user_catalog_is_reported_and_skipped(write_project):
    root = write_project({
        **GOOD,
        "pyproject.toml": '[tool.asyncify]\ncatalog = ["ours.toml", "missing.toml"]\n',
        "ours.toml": "[[operation]]\nnames = ['x.y'\n",
    })
    result = invoke(str(root), "--format", "json", "--no-cache")
    assert result.exit_code == 0, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 2
    assert "ours.toml" in lines[0] and "invalid TOML" in lines[0]
    assert "missing.toml" in lines[1] and "cannot read" in lines[1]
    assert len(json.loads(result.stdout)["endpoints"]) == 2


def test_invalid_config_exits_2(write_project):
    root = write_project({**GOOD, "pyproject.toml": "[tool.asyncify]\nexclude = 'tests'\n"})
    result = invoke(str(root))
    assert result.exit_code == 2
    assert "exclude must be a list of strings" in result.stderr


def test_gitignore_and_config_exclude_are_honoured(write_project):
    root = write_project({
        **GOOD,
        ".gitignore": "generated/\n",
        "generated/broken.py": "def (:\n",
        "scripts/tool.py": "def (:\n",
        "pyproject.toml": '[tool.asyncify]\nexclude = ["scripts/"]\n',
    })
    result = invoke(str(root), "--format", "json", "--no-cache")
    assert result.exit_code == 0
    assert result.stderr == ""
    assert json.loads(result.stdout)["summary"]["files"] == 2


def test_user_catalog_teaches_an_in_house_client(write_project):
    root = write_project({
        **GOOD,
        "svc/billing.py": """
            from acme_http import AcmeClient

            client = AcmeClient("billing")

            def invoice(n):
                return client.call("invoice", n)
        """,
        "svc/more.py": """
            from flask import Blueprint

            from .billing import invoice

            bp = Blueprint("more", __name__)

            @bp.route("/invoice/<int:n>")
            def show(n):
                return invoice(n)
        """,
        "svc/__init__.py": "from .app import app\nfrom .more import bp\napp.register_blueprint(bp)\n",
        "asyncify-catalog.toml": """
            [types]
            "acme_http.AcmeClient" = "acme_http.AcmeClient"

            [[operation]]
            names = ["acme_http.AcmeClient.call"]
            category = "http"
            replacement = "await acme_async.call(...)"
        """,
        "pyproject.toml": '[tool.asyncify]\ncatalog = ["asyncify-catalog.toml"]\n',
    })
    result = invoke(str(root), "--format", "json", "--no-cache")
    assert result.exit_code == 0, result.output
    show = next(e for e in json.loads(result.stdout)["endpoints"] if e["id"] == "svc.more.show")
    assert [(b["operation"], b["file"], b["line"]) for b in show["blocking"]] == [
        ("acme_http.AcmeClient.call", "svc/billing.py", 6)
    ]


def test_single_file_argument(write_project):
    root = write_project(GOOD)
    result = invoke(str(Path(root) / "svc" / "app.py"), "--format", "json", "--no-cache")
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.stdout)["endpoints"]) == 2
