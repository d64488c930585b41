"""Where requests come from: the route table (sample values per converter) and JSONL files."""

from __future__ import annotations

from pathlib import Path

import pytest

from asyncify.errors import UsageError
from asyncify.verify import Route, from_routes, parse_settings, read_samples

ROUTES = [
    Route("books.detail", ("GET",), "/api/books/<int:book_id>"),
    Route("orders.create", ("POST",), "/api/orders/"),
    Route("files.get", ("GET",), "/files/<path:name>"),
]


def test_routes_give_get_and_head_with_small_ints() -> None:
    samples = from_routes(ROUTES[:1], parse_settings({}))
    assert [s.describe() for s in samples] == [
        "GET /api/books/1", "HEAD /api/books/1", "GET /api/books/2", "HEAD /api/books/2",
    ]
    assert all(s.source == "route books.detail" for s in samples)


def test_values_per_parameter_and_per_endpoint_with_queries() -> None:
    settings = parse_settings({
        "values": {"book_id": [7], "name": ["a b/c.txt"]},
        "endpoints": {"books.detail": {"values": {"book_id": [3]},
                                       "queries": [{"currency": "EUR"}]}},
    })
    targets = [s.describe() for s in from_routes(ROUTES, settings) if s.method == "GET"]
    assert targets == ["GET /api/books/3?currency=EUR", "GET /files/a%20b/c.txt"]


def test_writes_carry_the_configured_body_and_skip_works() -> None:
    settings = parse_settings({"endpoints": {
        "orders.create": {"json": {"customer_id": 1}}, "files.get": {"skip": True}}})
    samples = from_routes(ROUTES, settings)
    (write,) = [s for s in samples if not s.is_read]
    assert (write.method, write.json) == ("POST", {"customer_id": 1})
    assert not any(s.path.startswith("/files") for s in samples)


def test_jsonl_samples(tmp_path: Path) -> None:
    path = tmp_path / "samples.jsonl"
    path.write_text(
        '# comments and blank lines are skipped\n\n'
        '{"method": "get", "path": "/api/books/", "query": {"page": 2}, "name": "page two"}\n'
        '{"method": "POST", "path": "/api/orders/", "json": null}\n'
        '{"endpoint": "books.detail", "params": {"book_id": 9}, "headers": {"X-A": "1"}}\n'
        '{"method": "POST", "path": "/admin/authors", "form": {"name": "Ada"}}\n',
        encoding="utf-8")
    first, second, third, fourth = read_samples(path, ROUTES)
    assert (first.describe(), first.source) == ("GET /api/books/?page=2", "page two")
    assert second.json is None and second.extra["has_json"]
    assert (third.describe(), third.headers) == ("GET /api/books/9", (("X-A", "1"),))
    assert fourth.form == (("name", "Ada"),)


@pytest.mark.parametrize(("line", "message"), [
    ('{"method": "GET", "path": "/a"', "samples.jsonl:2: not a JSON object"),
    ('["GET", "/a"]', "samples.jsonl:2: expected a JSON object"),
    ('{"path": "a"}', "samples.jsonl:2: 'path' must be a string starting with '/'"),
    ('{"path": "/a", "verb": "GET"}', "samples.jsonl:2: unknown key"),
    ('{"path": "/a", "json": {}, "body": "x"}', "samples.jsonl:2: give at most one"),
    ('{"endpoint": "books.nope"}', "samples.jsonl:2: unknown endpoint 'books.nope'"),
    ('{"endpoint": "books.detail"}', "samples.jsonl:2: no value for <book_id>"),
])
def test_malformed_lines_name_the_line(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "samples.jsonl"
    path.write_text('{"path": "/ok"}\n' + line + "\n", encoding="utf-8")
    with pytest.raises(UsageError) as info:
        read_samples(path, ROUTES)
    assert message in str(info.value)
    assert "\n" not in str(info.value)
