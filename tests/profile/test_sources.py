"""Profile inputs: malformed lines, another project's profile, empty files, OTLP JSON spans and
access logs — each gets a clear message, and the plan still renders."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from asyncify import api, profile
from asyncify.cli import app
from asyncify.planner import render_html, render_markdown, to_data

BOOKSHOP = Path(__file__).resolve().parents[2] / "sample_projects" / "bookshop"
DETAIL = "/api/books/<int:book_id>"


def _line(route: str | None = DETAIL, method: str = "GET", **extra: Any) -> str:
    row = {"ts": 1000.0, "method": method, "route": route, "status": 200, "wall_s": 0.03,
           "cpu_s": 0.002, "db_s": 0.02, "db_calls": 1, "db_writes": 0, "http_s": 0.0,
           "http_calls": 0, "sample_rate": 1.0, "pid": 7, **extra}
    return json.dumps(row)


def _plan(*paths: Path) -> dict[str, Any]:
    return to_data(api.plan(BOOKSHOP, profiles=list(paths)))


def _endpoint(data: dict[str, Any], path: str) -> dict[str, Any]:
    return next(e for e in data["endpoints"] if e["path"] == path)


def test_public_face_is_sorted():
    assert profile.__all__ == sorted(profile.__all__, key=lambda n: (
        0 if n.isupper() else 1 if n[0].isupper() else 2, n))


def test_malformed_lines_are_skipped_and_reported_once(tmp_path):
    file = tmp_path / "p.jsonl"
    file.write_text("\n".join([_line(), "{not json", _line(wall_s=-1), '["a"]',
                               _line(method=None), _line()]) + "\n")
    data = _plan(file)
    assert _endpoint(data, DETAIL)["measured"]["requests"] == 2
    (problem,) = [d for d in data["diagnostics"] if d["path"] == str(file)]
    assert problem["line"] == 2 and problem["severity"] == "warning"
    assert problem["message"].startswith("4 malformed asyncify line(s) skipped (first: invalid")
    assert data["profile"]["sources"][0]["malformed"] == 4


def test_a_profile_of_another_project_is_named_as_such(tmp_path):
    file = tmp_path / "other.jsonl"
    file.write_text("\n".join(_line(route=f"/elsewhere/{i}") for i in range(3)) + "\n")
    data = _plan(file)
    assert all(e["measured"] is None for e in data["endpoints"])
    messages = [d["message"] for d in data["diagnostics"]]
    assert "none of the 3 profiled requests matches an endpoint of this project" in messages
    assert {u["route"] for u in data["profile"]["unmatched"]} == {f"/elsewhere/{i}"
                                                                   for i in range(3)}
    assert "Routes matching no endpoint" in render_html(api.plan(BOOKSHOP, profiles=[file]))


def test_an_empty_profile_leaves_the_static_plan(tmp_path):
    file = tmp_path / "empty.jsonl"
    file.write_text("\n\n")
    static = to_data(api.plan(BOOKSHOP))
    data = _plan(file)
    assert [e["id"] for e in data["endpoints"]] == [e["id"] for e in static["endpoints"]]
    assert any(d["message"] == "empty profile (no records)" for d in data["diagnostics"])
    assert "## Measured" in render_markdown(api.plan(BOOKSHOP, profiles=[file]))


def test_a_file_that_is_no_profile_is_reported(tmp_path):
    file = tmp_path / "notes.log"
    file.write_text("hello world\n")
    data = _plan(file)
    assert any(d["message"].startswith("not a profile") for d in data["diagnostics"])


def test_unseen_io_is_flagged_and_moves_the_endpoint_out_of_wave_4(tmp_path):
    file = tmp_path / "p.jsonl"
    file.write_text("\n".join(_line(route="/version") for _ in range(3)) + "\n")
    version = _endpoint(_plan(file), "/version")
    assert version["io"] is False
    assert [d["kind"] for d in version["disagreements"]] == ["unseen-db"]
    assert version["wave"] == 3
    assert version["verdict"].startswith("check by hand")


def test_write_heavy_endpoints_are_pushed_down(tmp_path):
    file = tmp_path / "p.jsonl"
    reads = [_line() for _ in range(10)]
    writes = [_line(route="/api/orders/", method="POST", db_calls=4, db_writes=3)
              for _ in range(10)]
    file.write_text("\n".join(reads + writes) + "\n")
    data = _plan(file)
    orders = _endpoint(data, "/api/orders/")
    assert orders["measured"]["write_heavy"] is True
    m = orders["measured"]
    assert orders["priority"] == round(10 * m["io_ms"] / 1000 * (1 - m["cpu_share"]) / 2, 3)


def _otlp_span(span_id: str, parent: str, kind: int, start: int, end: int, **attrs: Any
               ) -> dict[str, Any]:
    values = [{"key": k.replace("_", "."), "value": {"stringValue": v} if isinstance(v, str)
               else {"intValue": str(v)}} for k, v in attrs.items()]
    return {"traceId": "t1", "spanId": span_id, "parentSpanId": parent, "kind": kind,
            "startTimeUnixNano": str(start), "endTimeUnixNano": str(end), "attributes": values}


def test_otlp_spans_give_wall_db_and_http_time_but_no_cpu(tmp_path):
    ms = 1_000_000
    spans = [
        _otlp_span("s", "", 2, 0, 80 * ms, http_route="/api/books/<int:book_id>/price",
                   http_request_method="GET"),
        _otlp_span("d", "s", 3, 1 * ms, 21 * ms, db_system="postgresql",
                   db_statement="SELECT 1"),
        _otlp_span("h", "s", 3, 22 * ms, 72 * ms, http_request_method="GET"),
        _otlp_span("h2", "h", 3, 23 * ms, 70 * ms, http_request_method="GET"),  # urllib3 child
    ]
    doc = {"resourceSpans": [{"resource": {}, "scopeSpans": [{"scope": {}, "spans": spans}]}]}
    file = tmp_path / "traces.jsonl"
    file.write_text(json.dumps(doc) + "\n" + "garbage\n")
    data = _plan(file)
    m = _endpoint(data, "/api/books/<int:book_id>/price")["measured"]
    assert m["formats"] == ["otlp"]
    assert (m["db_ms"], m["http_ms"], m["http_calls"], m["cpu_ms"]) == (20, 50, 1, None)
    source = data["profile"]["sources"][0]
    assert source["format"] == "otlp" and "cpu" in source["cannot"]
    assert source["malformed"] == 1


def test_access_logs_give_traffic_and_wall_time_matched_to_rules(tmp_path):
    file = tmp_path / "access.log"
    lines = [
        f'127.0.0.1 - - [10/Oct/2024:13:55:36 +0000] "GET /api/books/{i}?x=1 HTTP/1.1" 200 '
        f'512 "-" "curl/8" 0.0{i}5' for i in range(1, 5)
    ] + ['127.0.0.1 - - [10/Oct/2024:13:55:36 +0000] "GET /api/books/bestsellers HTTP/1.1" '
         '200 99 "-" "curl/8" 0.010', "broken line"]
    file.write_text("\n".join(lines) + "\n")
    data = _plan(file)
    detail = _endpoint(data, DETAIL)["measured"]
    assert detail["requests"] == 4 and detail["cpu_ms"] is None and detail["db_ms"] is None
    assert detail["io_ms"] == detail["wall_ms"]["mean"]  # static I/O: wall time as the proxy
    assert _endpoint(data, "/api/books/bestsellers")["measured"]["requests"] == 1
    assert data["profile"]["sources"][0]["cannot"] == ["cpu", "db", "http", "writes"]


def test_cli_html_and_missing_profile(tmp_path):
    file = tmp_path / "p.jsonl"
    file.write_text(_line() + "\n")
    out = tmp_path / "plan.html"
    runner = CliRunner()
    result = runner.invoke(app, ["plan", str(BOOKSHOP), "--format", "html", "-o", str(out),
                                 "--profile", str(file)])
    assert result.exit_code == 0, result.output
    text = out.read_text()
    assert text.startswith("<!DOCTYPE html>") and "http://" not in text.replace(
        "http://www.w3.org", "")
    missing = runner.invoke(app, ["plan", str(BOOKSHOP), "--profile", str(tmp_path / "nope")])
    assert missing.exit_code == 2
    assert "does not exist" in missing.output
