"""A legacy Flask view, mounted in FastAPI through a2wsgi, uses the asyncpg pool of the app's loop.

A real uvicorn server on 127.0.0.1 and a real PostgreSQL: the strangler-fig setup the bridge is
for. asgiref's ``async_to_sync`` (Flask's default for async views) is shown running elsewhere.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import asgiref.sync
import asyncpg
import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from flask import Flask, jsonify

from asyncify import bridge

pytestmark = pytest.mark.timeout(60)


def build_app(dsn: str) -> FastAPI:
    state: dict[str, Any] = {}

    async def double_in_db(n: int) -> dict[str, Any]:  # the new async helper
        async with state["pool"].acquire() as connection:
            value = await connection.fetchval("SELECT $1::int * 2", n)
        return {"value": value, "loop": id(asyncio.get_running_loop())}

    async def which_loop() -> int:
        return id(asyncio.get_running_loop())

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with bridge.home_loop():
            state["home"] = id(asyncio.get_running_loop())
            state["pool"] = await asyncpg.create_pool(dsn, min_size=1, max_size=4)
            try:
                yield
            finally:
                await state["pool"].close()

    api = FastAPI(lifespan=lifespan)

    @api.get("/new/{n}")
    async def new_endpoint(n: int) -> dict[str, Any]:
        return await double_in_db(n) | {"home": state["home"]}

    legacy = Flask(__name__)
    bridge.bridge_flask_async_views(legacy)

    @legacy.get("/legacy/<int:n>")
    def legacy_view(n: int) -> Any:
        result = bridge.run_async(double_in_db, n)
        thread = threading.current_thread().name
        return jsonify(result | {"home": state["home"], "thread": thread})

    @legacy.get("/legacy-async/<int:n>")
    async def legacy_async_view(n: int) -> Any:
        return jsonify(await double_in_db(n) | {"home": state["home"]})

    @legacy.get("/asgiref-loop")
    def asgiref_view() -> Any:
        return jsonify(loop=asgiref.sync.async_to_sync(which_loop)(), home=state["home"])

    api.mount("/", bridge.mount_wsgi(legacy, workers=4))
    return api


@pytest.fixture
def server(dsn: str, free_port: int) -> Iterator[str]:
    config = uvicorn.Config(
        build_app(dsn),
        host="127.0.0.1",
        port=free_port,
        http="h11",
        ws="none",
        loop="asyncio",
        lifespan="on",
        log_level="warning",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn")
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        if not server.started:
            pytest.fail("uvicorn did not start; is PostgreSQL reachable?")
        yield f"http://127.0.0.1:{free_port}"
    finally:
        server.should_exit = True
        thread.join(15)
        assert not thread.is_alive(), "uvicorn did not stop"


def test_a_flask_view_uses_the_asyncpg_pool_of_the_fastapi_loop(server: str) -> None:
    with httpx.Client(base_url=server, timeout=10) as client:
        legacy = client.get("/legacy/21").json()
        new = client.get("/new/21").json()
        legacy_async = client.get("/legacy-async/5").json()

    assert legacy["value"] == 42
    assert legacy["loop"] == legacy["home"]  # the pool's own loop, not a new one
    assert legacy["thread"].startswith("WSGI")  # a2wsgi's thread, not the loop's
    assert new["value"] == 42 and new["loop"] == new["home"]
    assert legacy_async["value"] == 10 and legacy_async["loop"] == legacy_async["home"]


def test_concurrent_legacy_requests_share_the_pool(server: str) -> None:
    def fetch(n: int) -> int:
        with httpx.Client(base_url=server, timeout=10) as client:
            response = client.get(f"/legacy/{n}")
            response.raise_for_status()
            value: int = response.json()["value"]
            return value

    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(fetch, range(40))) == [2 * n for n in range(40)]


def test_asgiref_would_run_the_coroutine_on_another_loop(server: str) -> None:
    """Why the bridge exists: asgiref gives a Flask thread a new loop per call."""
    with httpx.Client(base_url=server, timeout=10) as client:
        body = client.get("/asgiref-loop").json()
    assert body["loop"] != body["home"]
