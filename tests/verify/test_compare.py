"""How two replies are compared: status, the headers that matter, normalised bodies."""

from __future__ import annotations

import pytest

from asyncify.errors import ConfigError, UsageError
from asyncify.verify import Normaliser, Reply, compare, parse_json_path, parse_settings


def _diff(left: Reply, right: Reply, **raw: object) -> list[str]:
    settings = parse_settings(dict(raw))
    return [d.field for d in compare(left, right, settings, Normaliser(settings))]


def reply(body: bytes, status: int = 200, **headers: str) -> Reply:
    return Reply(status, {"content-type": "application/json", **headers}, body)


# Noop cases first: each pair must compare equal, and why.
EQUAL = [
    # identical bytes, whatever the settings
    (reply(b'{"a":1}\n'), reply(b'{"a":1}\n'), {}),
    # headers outside the compared set (dates, request ids) never count
    (reply(b"x", date="Mon"), reply(b"x", date="Tue"), {}),
    # --json: key order and whitespace are not differences
    (reply(b'{"a":1,"b":2}'), reply(b'{ "b": 2, "a": 1 }\n'), {"json": True}),
    # an ignored path may differ, at any depth with '..'
    (reply(b'{"id":1,"at":"x"}'), reply(b'{"id":1,"at":"y"}'), {"ignore_paths": ["$.at"]}),
    (reply(b'{"items":[{"t":1},{"t":2}]}'), reply(b'{"items":[{"t":3},{"t":4}]}'),
     {"ignore_paths": ["$.items[*].t"]}),
    (reply(b'{"a":{"b":{"t":1}}}'), reply(b'{"a":{"b":{"t":2}}}'), {"ignore_paths": ["$..t"]}),
    # a regex replacement runs on both bodies first
    (reply(b"id=123 ok"), reply(b"id=456 ok"), {"replace": [{"pattern": r"id=\d+", "with": ""}]}),
    # the same transport failure on both sides is agreement
    (Reply(None, {}, b"", "ReadTimeout"), Reply(None, {}, b"", "ReadTimeout"), {}),
]


@pytest.mark.parametrize(("left", "right", "raw"), EQUAL)
def test_equal(left: Reply, right: Reply, raw: dict[str, object]) -> None:
    assert _diff(left, right, **raw) == []


DIFFERENT = [
    (reply(b"x", 200), reply(b"x", 404), {}, ["status"]),
    (reply(b"x"), reply(b"x", **{"content-type": "text/html"}), {}, ["header content-type"]),
    (reply(b"x", location="/a"), reply(b"x"), {}, ["header location"]),
    (reply(b"x", etag="1"), reply(b"x", etag="2"), {"headers": ["ETag"]}, ["header etag"]),
    # bytes by default: key order is a difference (Flask sorts keys, clients may rely on it)
    (reply(b'{"a":1,"b":2}'), reply(b'{"b":2,"a":1}'), {}, ["body"]),
    (reply(b'{"a":1}'), reply(b'{"a":2}'), {"json": True}, ["body"]),
    (Reply(None, {}, b"", "ConnectError"), reply(b"x"), {}, ["transport"]),
]


@pytest.mark.parametrize(("left", "right", "raw", "fields"), DIFFERENT)
def test_different(left: Reply, right: Reply, raw: dict[str, object], fields: list[str]) -> None:
    assert _diff(left, right, **raw) == fields


def test_a_body_difference_carries_both_sides_and_a_diff() -> None:
    settings = parse_settings({"json": True})
    (found,) = compare(reply(b'{"v":"1.4.2"}'), reply(b'{"v":"9.9.9"}'), settings,
                       Normaliser(settings))
    assert "1.4.2" in found.legacy and "9.9.9" in found.candidate
    assert '- "v": "1.4.2"' in found.diff and '+ "v": "9.9.9"' in found.diff


@pytest.mark.parametrize("path", ["items", "$", "$.a[x]", "$.a..", "$.a b"])
def test_bad_json_paths_are_usage_errors(path: str) -> None:
    with pytest.raises(UsageError, match="bad JSON path"):
        parse_json_path(path)


@pytest.mark.parametrize(("raw", "message"), [
    ({"colour": True}, "unknown"),
    ({"json": "yes"}, "verify.json"),
    ({"headers": "etag"}, "verify.headers"),
    ({"replace": [{"pattern": "a"}]}, "verify.replace"),
    ({"endpoints": {"x": {"bogus": 1}}}, "endpoints"),
])
def test_bad_settings_are_config_errors(raw: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_settings(raw)
