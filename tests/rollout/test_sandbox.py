"""The shadow sandbox: a shadowed write runs its async variant with its database work rolled
back and its outbound writes blocked; without the sandbox it is refused (test_router.py).

Real PostgreSQL (a table of its own in the test database); the outbound service is an httpx
``MockTransport`` that records what reaches it."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg2
import pytest
from fastapi import APIRouter
from flask import Flask

from asyncify.compat import SandboxViolation, combine, db_pool, in_sandbox, sandboxed
from asyncify.compat._pg import close_db_pool
from asyncify.rollout import FileStore, Flag, Rollout, Shadow, Stage
from asyncify.rollout._router import RolloutRouter


@pytest.fixture
def table(postgres_dsn: str) -> Iterator[str]:
    name = f"sandbox_{uuid.uuid4().hex[:10]}"
    with psycopg2.connect(postgres_dsn) as conn, conn.cursor() as cur:
        cur.execute(f"CREATE TABLE {name} (id serial PRIMARY KEY, note text NOT NULL)")
    try:
        yield name
    finally:
        with psycopg2.connect(postgres_dsn) as conn, conn.cursor() as cur:
            cur.execute(f"DROP TABLE IF EXISTS {name}")


def count(dsn: str, table: str) -> list[str]:
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(f"SELECT note FROM {table} ORDER BY id")
        return [row[0] for row in cur.fetchall()]


def test_database_work_is_rolled_back_inside_only(postgres_dsn: str, table: str) -> None:
    async def scenario() -> None:
        try:
            with sandboxed():
                assert in_sandbox()
                pool = await db_pool(dsn=postgres_dsn)
                async with pool.acquire() as conn:
                    await conn.execute(f"INSERT INTO {table} (note) VALUES ('plain')")
                    async with conn.transaction():  # the twin's own commit: a savepoint
                        await conn.execute(f"INSERT INTO {table} (note) VALUES ('committed')")
                    seen = await conn.fetchval(f"SELECT count(*) FROM {table}")
                    assert seen == 2  # visible inside, as the endpoint expects
                await pool.execute(f"INSERT INTO {table} (note) VALUES ('pool')")
            assert not in_sandbox()
            pool = await db_pool(dsn=postgres_dsn)
            async with pool.acquire() as conn:
                await conn.execute(f"INSERT INTO {table} (note) VALUES ('outside')")
        finally:
            await close_db_pool()

    asyncio.run(scenario())
    assert count(postgres_dsn, table) == ["outside"]


def test_outbound_writes_are_blocked_reads_pass() -> None:
    reached: list[str] = []

    def upstream(request: httpx.Request) -> httpx.Response:
        reached.append(request.method)
        return httpx.Response(200, json={"ok": True})

    async def scenario() -> None:
        async with httpx.AsyncClient(transport=httpx.MockTransport(upstream),
                                     base_url="http://svc") as client:
            with sandboxed():
                assert (await client.get("/rates")).json() == {"ok": True}
                with pytest.raises(SandboxViolation, match="outbound POST http://svc/hooks"):
                    await client.post("/hooks", json={})
            await client.post("/hooks", json={})  # outside the sandbox: sent

    asyncio.run(scenario())
    assert reached == ["GET", "POST"]


def _app(dsn: str, table: str, reached: list[str]) -> Any:
    legacy = Flask("sandbox_legacy")

    def legacy_add() -> Any:
        with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
            cur.execute(f"INSERT INTO {table} (note) VALUES ('legacy')")
        return {"added": True}, 201

    def legacy_notify() -> Any:
        return {"sent": True}

    legacy.add_url_rule("/notes", view_func=legacy_add, methods=["POST"])
    legacy.add_url_rule("/notify", view_func=legacy_notify, methods=["POST"])
    outbound = httpx.AsyncClient(transport=httpx.MockTransport(
        lambda request: reached.append(request.method) or httpx.Response(202)))
    router = APIRouter()

    @router.post("/notes", status_code=201)
    async def add() -> Any:
        pool = await db_pool(dsn=dsn)
        async with pool.acquire() as conn, conn.transaction():
            await conn.execute(f"INSERT INTO {table} (note) VALUES ('async')")
        return {"added": True}

    @router.post("/notify")
    async def notify() -> Any:
        await outbound.post("http://hooks/notify", json={})
        return {"sent": True}

    keys = {name: f"{view.__module__}.{view.__qualname__}"
            for name, view in (("notes", legacy_add), ("notify", legacy_notify))}
    return legacy, router, keys


@pytest.mark.parametrize("sandbox", [True, False])
def test_shadowed_post(postgres_dsn: str, table: str, tmp_path: Path, sandbox: bool) -> None:
    reached: list[str] = []
    legacy, router, keys = _app(postgres_dsn, table, reached)
    store = FileStore(tmp_path / "flags.json", poll_interval=0)
    for key in keys.values():
        store.update(lambda flags, key=key: flags.with_flag(Flag(key, Stage.shadow)),
                     reason="test", who="test")
    app = combine(legacy, [(router, "")],
                  rollout=Rollout(store=store, shadow=Shadow(sandbox=sandbox)))

    async def scenario() -> RolloutRouter:
        try:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                         base_url="http://t") as client:
                added = await client.post("/notes")
                notified = await client.post("/notify")
                assert (added.status_code, notified.status_code) == (201, 200)
            stack = app.middleware_stack
            while not isinstance(stack, RolloutRouter):
                stack = stack.app
            await stack.shadower.drain()
            return stack
        finally:
            await close_db_pool()

    rollout = asyncio.run(scenario())
    assert count(postgres_dsn, table) == ["legacy"]  # the async insert never lands
    assert reached == []  # nor does the async side's outbound POST
    notes, notify = (rollout.window.shadow_counts(keys[k]) for k in ("notes", "notify"))
    if sandbox:
        assert notes == {"match": 1}
        assert notify == {"error": 1}  # blocked: recorded, the user got legacy's answer
    else:
        assert notes == notify == {"refused": 1}


def test_the_sqlalchemy_session_is_refused_in_the_sandbox() -> None:
    from asyncify.compat._sqla_session import request_session

    async def scenario() -> None:
        with sandboxed(), pytest.raises(SandboxViolation, match="SQLAlchemy session"):
            await anext(request_session())

    asyncio.run(scenario())

