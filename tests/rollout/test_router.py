"""The router in-process (httpx over ASGI): routing per stage, shadow, metrics, guardrail."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import httpx
import pytest

from asyncify.rollout import (
    FileStore,
    Flag,
    FlagSet,
    Guardrail,
    Rollout,
    RolloutRouter,
    Stage,
    in_rollout,
)

from .conftest import demo_module

ITEM = "demo_app.legacy_item"
DIVERGENT = "demo_app.legacy_divergent"
CREATE = "demo_app.legacy_create"


def put(store: FileStore, key: str, **fields: Any) -> None:
    def change(flags: FlagSet) -> FlagSet:
        return flags.with_flag((flags.get(key) or Flag(key)).changed(**fields))
    store.update(change, reason="test", who="test")


@pytest.fixture
def demo_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DEMO_DIR", str(tmp_path))
    return tmp_path


def router_of(app: Any) -> RolloutRouter:
    stack = app.middleware_stack or app.build_middleware_stack()
    app.middleware_stack = stack
    while not isinstance(stack, RolloutRouter):
        stack = stack.app
    return stack


async def get_all(client: httpx.AsyncClient, path: str, users: list[str]) -> list[str]:
    out = []
    for user in users:
        response = await client.get(path, headers={"X-User-Id": user})
        assert response.status_code == 200
        out.append(response.headers["x-served-by"])
    return out


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def test_stages_route_requests(demo_dir: Path) -> None:
    store = FileStore(demo_dir / "flags.json", poll_interval=0)
    app = demo_module().build(Rollout(store=store))

    async def scenario() -> None:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://t") as client:
            assert await get_all(client, "/items/1", ["u1"]) == ["legacy"]  # no flag
            put(store, ITEM, stage=Stage.async_)
            assert await get_all(client, "/items/1", ["u1"]) == ["async"]
            assert (await client.get("/other")).json() == {"legacy_only": True}
            users = [f"user-{i}" for i in range(60)]
            put(store, ITEM, stage=Stage.canary, percent=30.0)
            served = await get_all(client, "/items/1", users)
            assert served == ["async" if in_rollout(ITEM, u, 30.0) else "legacy"
                              for u in users]
            assert (await client.get("/items/1")).headers["x-served-by"] == "legacy"  # no key
            put(store, ITEM, killed=True, stage=Stage.async_)
            assert set(await get_all(client, "/items/1", users[:5])) == {"legacy"}

    run(scenario())


def test_shadow_compares_and_refuses_writes(demo_dir: Path,
                                            caplog: pytest.LogCaptureFixture) -> None:
    store = FileStore(demo_dir / "flags.json", poll_interval=0)
    put(store, DIVERGENT, stage=Stage.shadow)
    put(store, ITEM, stage=Stage.shadow)
    put(store, CREATE, stage=Stage.shadow)
    app = demo_module().build(Rollout(store=store))
    router = router_of(app)

    async def scenario() -> None:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://t") as client:
            for path in ("/divergent/3", "/items/3"):
                response = await client.get(path, headers={"X-User-Id": "u"})
                assert response.headers["x-served-by"] == "legacy"
            posted = await client.post("/items", headers={"X-User-Id": "u"})
            assert posted.status_code == 201 and posted.headers["x-served-by"] == "legacy"
            await router.shadower.drain()
            metrics = (await client.get("/asyncify/metrics")).text
        assert f'asyncify_rollout_shadow_total{{flag="{DIVERGENT}",outcome="mismatch"}} 1.0' \
            in metrics
        assert f'asyncify_rollout_shadow_total{{flag="{ITEM}",outcome="match"}} 1.0' in metrics

    with caplog.at_level(logging.WARNING, "asyncify.rollout"):
        run(scenario())
    assert router.window.shadow_counts(CREATE) == {"refused": 1}
    assert (demo_dir / "async-calls").read_text().split() == ["divergent", "item"]
    mismatch = [r.getMessage() for r in caplog.records if "shadow mismatch" in r.getMessage()]
    assert len(mismatch) == 1
    assert r'\"price\":10' in mismatch[0] and r'\"price\":11' in mismatch[0]


def test_guardrail_rolls_back_on_errors(demo_dir: Path) -> None:
    store = FileStore(demo_dir / "flags.json", poll_interval=0)
    put(store, ITEM, stage=Stage.canary, percent=50.0)
    guard = Guardrail(window=30, min_requests=10, check_interval=0)
    app = demo_module().build(Rollout(store=store, guardrail=guard))
    users = [f"user-{i}" for i in range(80)]

    async def scenario() -> list[str]:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://t") as client:
            await get_all(client, "/items/1", users)  # a healthy baseline for both
            (demo_dir / "fault").write_text("500")
            served = []
            for user in users:
                response = await client.get("/items/1", headers={"X-User-Id": user})
                served.append(response.headers.get("x-served-by", "async"))
            await asyncio.sleep(0.3)  # the store write runs in a thread
            return served

    served = run(scenario())
    # after at most min_requests failures, everything is legacy again
    assert served[-20:] == ["legacy"] * 20
    flags = FileStore(demo_dir / "flags.json").current()
    assert flags is not None and flags.flags[ITEM].stage is Stage.legacy
    last = store.history()[-1]
    assert last["reason"].startswith("guardrail: async error rate")
    assert last["actor"].startswith("guardrail@")
