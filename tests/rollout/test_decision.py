"""The decision order: retired, kill, deny, allow, stage/bucket; no key and errors → legacy."""

from __future__ import annotations

import pytest

from asyncify.rollout import Decision, Flag, FlagError, Stage, decide, in_rollout, unit_key

KEY = "shop.views.item"


def flag(**fields: object) -> Flag:
    return Flag(KEY, **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(("fields", "unit", "expected"), [
    ({}, "u1", Decision("legacy", "stage")),
    ({"stage": Stage.shadow}, "u1", Decision("legacy", "stage", shadow=True)),
    ({"stage": Stage.async_}, "u1", Decision("async", "stage")),
    ({"stage": Stage.async_}, None, Decision("async", "stage")),
    ({"stage": Stage.retired, "killed": True}, "u1", Decision("async", "retired")),
    ({"stage": Stage.async_, "killed": True, "allow": frozenset({"u1"})}, "u1",
     Decision("legacy", "killed")),
    ({"stage": Stage.async_, "deny": frozenset({"u1"}), "allow": frozenset({"u1"})}, "u1",
     Decision("legacy", "denied")),
    ({"allow": frozenset({"u1"})}, "u1", Decision("async", "allowed")),
    ({"stage": Stage.canary, "percent": 100.0}, None, Decision("legacy", "no-key")),
    ({"stage": Stage.canary, "percent": 100.0}, "u1", Decision("async", "bucket")),
    ({"stage": Stage.canary, "percent": 0.0}, "u1", Decision("legacy", "bucket")),
])  # fmt: skip
def test_order(fields: dict[str, object], unit: str | None, expected: Decision) -> None:
    assert decide(flag(**fields), unit) == expected


def test_missing_flag_is_legacy() -> None:
    assert decide(None, "u1") == Decision("legacy", "no-flag")


def test_canary_follows_the_bucket() -> None:
    units = [f"u{i}" for i in range(200)]
    chosen = [decide(flag(stage=Stage.canary, percent=30.0), u).variant for u in units]
    assert chosen == ["async" if in_rollout(KEY, u, 30.0) else "legacy" for u in units]


def test_error_in_decision_serves_legacy() -> None:
    broken = Flag(KEY, Stage.canary, percent="ten")  # type: ignore[arg-type]
    assert decide(broken, "u1") == Decision("legacy", "error")


def test_unit_key_sources_in_order() -> None:
    extract = unit_key(["header:X-User-Id", "cookie:session", "query:user"])
    assert extract({"headers": [(b"x-user-id", b"42")]}) == "42"
    assert extract({"headers": [(b"cookie", b"a=1; session=abc")]}) == "abc"
    assert extract({"headers": [], "query_string": b"user=7&x=1"}) == "7"
    assert extract({"headers": [(b"x-user-id", b"")], "query_string": b""}) is None
    assert unit_key([lambda scope: "fixed"])({}) == "fixed"


def test_bad_unit_key_source() -> None:
    with pytest.raises(FlagError, match="bad unit key source 'ip'"):
        unit_key(["ip"])
