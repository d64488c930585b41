"""Flags on disk are flagd documents: round trip, flagd targeting, clear errors."""

from __future__ import annotations

import json

import pytest

from asyncify.rollout import Flag, FlagError, FlagSet, Stage, dump_document, parse_document


def test_round_trip() -> None:
    flags = FlagSet({
        "a": Flag("a", Stage.canary, 12.5, allow=frozenset({"x", "y"}), deny=frozenset({"z"}),
                  previous=Stage.shadow),
        "b": Flag("b", Stage.async_, killed=True, read_only=True),
    })
    assert parse_document(dump_document(flags), "test") == flags


def test_flagd_shape() -> None:
    doc = json.loads(dump_document(FlagSet({
        "a": Flag("a", Stage.canary, 10.0, deny=frozenset({"z"})),
        "k": Flag("k", Stage.async_, killed=True),
    })))
    a = doc["flags"]["a"]
    assert a["state"] == "ENABLED" and a["defaultVariant"] == "legacy"
    assert a["targeting"] == {"if": [
        {"in": [{"var": "targetingKey"}, ["z"]]}, "legacy",
        {"fractional": [["async", 10_000], ["legacy", 90_000]]},
    ]}
    assert doc["flags"]["k"]["state"] == "DISABLED"  # flagd: caller's default (legacy)
    assert doc["flags"]["k"]["targeting"] == {}


def test_hand_written_flagd_flag_takes_the_default_variant() -> None:
    text = json.dumps({"flags": {"a": {"state": "ENABLED", "defaultVariant": "async",
                                       "variants": {"async": "async"}}}})
    assert parse_document(text, "f").flags["a"].stage is Stage.async_


@pytest.mark.parametrize(("text", "message"), [
    ("{", "f: not valid JSON"),
    ('{"flags": []}', "expected a flagd document"),
    ('{"flags": {"a": {"metadata": {"asyncifyStage": "half"}}}}', "unknown stage 'half'"),
    ('{"flags": {"a": {"metadata": {"asyncifyPercent": 101}}}}', "bad percentage 101"),
    ('{"flags": {"a": {"state": "OFF"}}}', "state must be ENABLED or DISABLED"),
])  # fmt: skip
def test_errors(text: str, message: str) -> None:
    with pytest.raises(FlagError, match=message):
        parse_document(text, "f")
