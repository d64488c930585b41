"""Fixtures for the bridge tests: leak checks, PostgreSQL, and a free port."""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time
from collections.abc import Iterator

import asyncpg
import pytest

from asyncify import bridge

DEFAULT_DSN = "postgresql://postgres@127.0.0.1:5432/test"


@pytest.fixture(autouse=True)
def no_leaked_threads() -> Iterator[None]:
    """Every thread and loop a test starts must be gone when it ends.

    The bridge keeps idle workers by design (an app stops them in its lifespan), so the check
    first shuts the bridge down, as an application would, then waits briefly for stragglers.
    """
    before = set(threading.enumerate())
    yield
    still_running = bridge.shutdown(grace=5.0)
    bridge.release_home_loop()
    deadline = time.monotonic() + 5.0
    leaked = set(threading.enumerate()) - before
    while leaked and time.monotonic() < deadline:
        time.sleep(0.01)
        leaked = {thread for thread in leaked if thread.is_alive()}
    assert not still_running, f"bridge threads did not stop: {still_running}"
    assert not leaked, f"threads outlived the test: {sorted(t.name for t in leaked)}"
    assert asyncio._get_running_loop() is None


@pytest.fixture(scope="session")
def dsn() -> str:
    """The test database; unreachable is a failure, never a skip."""
    dsn = os.environ.get("ASYNCIFY_TEST_DSN", DEFAULT_DSN)

    async def probe() -> None:
        connection = await asyncpg.connect(dsn, timeout=5)
        await connection.close()

    try:
        asyncio.run(probe())
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        pytest.fail(f"PostgreSQL is unreachable at {dsn!r} ({exc!r}); set ASYNCIFY_TEST_DSN")
    return dsn


@pytest.fixture
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
