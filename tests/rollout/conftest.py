"""Fixtures: a real Redis (the shared one, under a unique key), a private Redis server that a
test may stop, and the purpose-written demo app served by uvicorn."""

from __future__ import annotations

import contextlib
import os
import secrets
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from asyncify.verify import HOST, free_port

REDIS_URL = os.environ.get("ASYNCIFY_TEST_REDIS") or "redis://127.0.0.1:6379/0"
HERE = Path(__file__).resolve().parent


@pytest.fixture
def redis_key() -> Iterator[str]:
    """A fresh key prefix on the shared Redis; fails (never skips) when Redis is down."""
    client = redis.Redis.from_url(REDIS_URL, socket_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        client.close()
        pytest.fail(f"Redis is unreachable at {REDIS_URL}: {exc} (start it, or point "
                    "ASYNCIFY_TEST_REDIS at one)", pytrace=False)
    key = f"asyncify-test:{os.getpid()}:{secrets.token_hex(4)}"
    try:
        yield key
    finally:
        for name in client.scan_iter(match=f"{key}*"):
            client.delete(name)
        client.close()


class PrivateRedis:
    """A redis-server of our own on a free port, so a test can take it down."""

    def __init__(self, tmp: Path) -> None:
        self.port = free_port()
        self.url = f"redis://{HOST}:{self.port}/0"
        self.dir = tmp
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", HOST, "--save", "",
             "--appendonly", "no", "--dir", str(self.dir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis.from_url(self.url, socket_timeout=1)
        try:
            deadline = time.monotonic() + 10
            while True:
                try:
                    client.ping()
                    return
                except redis.RedisError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.05)
        finally:
            client.close()

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path)
    server.start()
    try:
        yield server
    finally:
        with contextlib.suppress(Exception):
            server.stop()


def demo_module():  # type: ignore[no-untyped-def]
    """``demo_app`` imported under the name uvicorn gives it (flag keys contain it)."""
    import importlib
    import sys

    if str(HERE) not in sys.path:
        sys.path.insert(0, str(HERE))
    return importlib.import_module("demo_app")
