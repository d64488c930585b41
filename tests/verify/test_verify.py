"""``asyncify verify`` end to end: real servers (gunicorn, uvicorn) on 127.0.0.1, a real
PostgreSQL, the sample bookshop against itself and against a deliberately altered copy."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import psycopg2
import pytest
from typer.testing import CliRunner

from asyncify import api
from asyncify.cli import app

BOOKSHOP = Path(__file__).resolve().parents[2] / "sample_projects" / "bookshop"
LEGACY = "wsgi:bookshop.app:create_app()"
ALTERED = "wsgi:altered_bookshop:create_app()"
API_TOKEN = "verify-token"  # the same as conftest's app_env


def cli(*args: str) -> Any:
    return CliRunner().invoke(app, ["verify", *args], catch_exceptions=False)


def options(overrides: dict[str, Any]) -> list[str]:
    out = ["--ready-path", "/health", "--send-header", f"X-Api-Token={API_TOKEN}"]
    for key, value in overrides["env"].items():
        out += ["--env", f"{key}={value}"]
    return out


def test_legacy_against_itself_has_no_mismatch(overrides: dict[str, Any]) -> None:
    report = api.verify(BOOKSHOP, legacy=LEGACY, candidate=LEGACY, overrides=overrides)
    assert report.mismatches == []
    # 14 GET endpoints x GET/HEAD, with book_id/order_id 1 and 2; writes wait for a scratch db
    assert report.sent == 40
    assert report.skipped_writes == 5


def test_an_altered_app_is_caught_with_both_sides(overrides: dict[str, Any]) -> None:
    result = cli(str(BOOKSHOP), "--legacy", LEGACY, "--candidate", ALTERED, *options(overrides))
    assert result.exit_code == 1, result.output
    out = result.stdout
    assert "MISMATCH GET /version  [route bookshop.app.create_app.<locals>.version]" in out
    assert '-{"name":"bookshop","version":"1.4.2"}' in out
    assert '+{"name":"bookshop","version":"9.9.9"}' in out
    assert "MISMATCH GET /api/books/2/excerpt" in out
    assert "status: legacy 404, candidate 410" in out
    assert "3 mismatch(es)" in result.stderr


def test_user_samples_in_json_output(overrides: dict[str, Any], tmp_path: Path) -> None:
    samples = tmp_path / "samples.jsonl"
    samples.write_text(
        '{"name": "missing book", "endpoint": "bookshop.views.books.book_detail",'
        ' "params": {"book_id": 99}}\n'
        '{"name": "page two", "path": "/api/books/", "query": {"page": "2", "sort": "price"}}\n'
        '{"name": "strict slash", "path": "/api/books", "query": {"page": "2"}}\n',
        encoding="utf-8")
    result = cli(str(BOOKSHOP), "--legacy", LEGACY, "--candidate", ALTERED, "--no-generate",
                 "--samples", str(samples), "--format", "json", *options(overrides))
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    # The strict-slash 308 names each side's own port: verify makes that comparable.
    assert data["sent"] == 3
    (mismatch,) = data["mismatches"]
    assert (mismatch["source"], mismatch["target"]) == ("missing book", "/api/books/99")
    assert mismatch["differences"][0] == {"field": "status", "legacy": "404",
                                          "candidate": "410", "diff": []}


def test_writes_go_to_scratch_databases_and_tables_are_compared(
    app_env: dict[str, str], template_db: str, tmp_path: Path
) -> None:
    samples = tmp_path / "orders.jsonl"
    order = {"customer_id": 1, "currency": "EUR", "items": [{"book_id": 1, "qty": 2}]}
    samples.write_text(
        json.dumps({"method": "POST", "path": "/api/orders/", "json": order}) + "\n"
        + json.dumps({"method": "GET", "path": "/api/orders/4"}) + "\n",
        encoding="utf-8")
    overrides = {
        "env": app_env, "ready_path": "/health", "request_headers": {"X-Api-Token": API_TOKEN},
        "scratch_template": template_db,
        "compare_tables": ["books", "orders", "order_lines"],
        "ignore_columns": ["updated_at", "created_at"], "ignore_paths": ["$.created_at"],
    }
    report = api.verify(BOOKSHOP, legacy=LEGACY, candidate=LEGACY, samples=samples,
                        generate=False, overrides=overrides)
    assert (report.sent, report.mismatches) == (2, [])
    # Both clones took the order; the template did not.
    with contextlib.closing(psycopg2.connect(template_db)) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM orders")
        assert cur.fetchall() == [(3,)]


def test_a_differing_table_is_reported(
    app_env: dict[str, str], template_db: str, tmp_path: Path
) -> None:
    samples = tmp_path / "author.jsonl"
    samples.write_text(json.dumps({"method": "POST", "path": "/admin/authors",
                                   "form": {"name": "Ada", "country": "gb"}}) + "\n",
                       encoding="utf-8")
    overrides = {"env": app_env, "ready_path": "/health",
                 "request_headers": {"X-Api-Token": API_TOKEN},
                 "scratch_template": template_db, "compare_tables": ["authors"]}
    report = api.verify(BOOKSHOP, legacy=LEGACY, candidate=LEGACY, samples=samples,
                        generate=False, overrides=overrides)
    # created_at is now() on each side: not ignored here, so the tables differ.
    (mismatch,) = report.mismatches
    (difference,) = mismatch.differences
    assert difference.field == "table authors"
    assert any(line.startswith("-") and '"Ada"' in line for line in difference.diff)
    assert any(line.startswith("+") and '"Ada"' in line for line in difference.diff)


@pytest.mark.parametrize("kind", ["unreachable", "malformed", "unknown endpoint", "bad spec"])
def test_bad_input_is_a_one_line_usage_error(
    kind: str, tmp_path: Path, sample_harness: Any
) -> None:
    samples = tmp_path / "samples.jsonl"
    samples.write_text('{"path": "/health"}\n{"path": "/x", \n', encoding="utf-8")
    with sample_harness.refused_port() as port:
        dead = f"http://127.0.0.1:{port}"
        args, expected = {
            "unreachable": (["--legacy", dead, "--candidate", dead],
                            f"legacy target '{dead}' is unreachable"),
            "malformed": (["--legacy", dead, "--candidate", dead, "--samples", str(samples)],
                          f"{samples}:2: not a JSON object"),
            "unknown endpoint": (["--legacy", dead, "--candidate", dead, "-e", "nope.view"],
                                 "unknown endpoint id(s) ['nope.view']"),
            "bad spec": (["--legacy", "gunicorn:app", "--candidate", dead],
                         "bad app spec 'gunicorn:app'"),
        }[kind]
        result = cli(str(BOOKSHOP), *args)
    assert result.exit_code == 2
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith("asyncify: error: ") and expected in line
