"""OpenFeature both ways: our flags behind an OpenFeature client, and the router deciding
through a team's existing OpenFeature provider."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from openfeature import api
from openfeature.evaluation_context import EvaluationContext
from openfeature.exception import ErrorCode
from openfeature.flag_evaluation import Reason
from openfeature.provider.in_memory_provider import InMemoryFlag, InMemoryProvider

from asyncify.rollout import (
    AsyncifyProvider,
    Decision,
    FileStore,
    Flag,
    OpenFeatureDecider,
    Rollout,
    Stage,
    in_rollout,
)

from .conftest import demo_module


@pytest.fixture
def client(tmp_path: Path):  # type: ignore[no-untyped-def]
    store = FileStore(tmp_path / "flags.json", poll_interval=0)
    store.update(lambda f: f.with_flag(Flag("ep", Stage.canary, 50.0,
                                            deny=frozenset({"mallory"}))), reason="t")
    store.update(lambda f: f.with_flag(Flag("sh", Stage.shadow)), reason="t")
    api.set_provider(AsyncifyProvider(store), domain="asyncify-test")
    try:
        yield api.get_client(domain="asyncify-test"), store
    finally:
        api.shutdown()


def test_provider_resolves_variants(client) -> None:  # type: ignore[no-untyped-def]
    of, _ = client
    for user in (f"u{i}" for i in range(50)):
        details = of.get_string_details("ep", "legacy", EvaluationContext(targeting_key=user))
        assert details.value == ("async" if in_rollout("ep", user, 50.0) else "legacy")
        assert details.reason == Reason.SPLIT
    denied = of.get_string_details("ep", "legacy", EvaluationContext(targeting_key="mallory"))
    assert (denied.value, denied.reason) == ("legacy", Reason.TARGETING_MATCH)
    assert of.get_string_value("sh", "legacy") == "shadow"
    missing = of.get_string_details("nope", "legacy")
    assert (missing.value, missing.error_code) == ("legacy", ErrorCode.FLAG_NOT_FOUND)
    assert of.get_integer_details("ep", 3).error_code == ErrorCode.TYPE_MISMATCH
    on = of.get_boolean_value("ep", False, EvaluationContext(targeting_key="u1"))
    assert on is in_rollout("ep", "u1", 50.0)
    value = asyncio.run(of.get_string_value_async(
        "ep", "legacy", EvaluationContext(targeting_key="mallory")))
    assert value == "legacy"


def test_provider_reports_changes(client) -> None:  # type: ignore[no-untyped-def]
    of, store = client
    of.get_string_value("ep", "legacy")
    store.update(lambda f: f.with_flag(Flag("ep", Stage.async_)), reason="t")
    assert of.get_string_value("ep", "legacy") == "async"


def test_router_decides_with_a_teams_provider(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEMO_DIR", str(tmp_path))
    flags = {"demo_app.legacy_item": InMemoryFlag("on", {"on": "async", "off": "legacy"})}
    api.set_provider(InMemoryProvider(flags), domain="team")
    try:
        decider = OpenFeatureDecider(api.get_client(domain="team"))
        assert decider("unknown.flag", "u", {}) == Decision("legacy", "openfeature:error")
        app = demo_module().build(Rollout(decider=decider))

        async def scenario() -> list[str]:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                         base_url="http://t") as http:
                item = await http.get("/items/1")
                divergent = await http.get("/divergent/1")  # FLAG_NOT_FOUND → legacy
                return [item.headers["x-served-by"], divergent.headers["x-served-by"]]

        assert asyncio.run(scenario()) == ["async", "legacy"]
    finally:
        api.shutdown()
