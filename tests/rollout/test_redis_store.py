"""The Redis store against a real Redis: polling, atomic updates, audit, fork, outage."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import pytest
import redis

from asyncify.rollout import Flag, FlagSet, RedisStore

from .conftest import REDIS_URL, PrivateRedis


def kill(key: str):  # type: ignore[no-untyped-def]
    def change(flags: FlagSet) -> FlagSet:
        return flags.with_flag((flags.get(key) or Flag(key)).changed(killed=True))
    return change


def wait_for(predicate, timeout: float = 3.0) -> float:  # type: ignore[no-untyped-def]
    started = time.monotonic()
    while not predicate():
        assert time.monotonic() - started < timeout, "timed out"
        time.sleep(0.01)
    return time.monotonic() - started


def test_poll_picks_up_changes(redis_key: str) -> None:
    reader = RedisStore(REDIS_URL, key=redis_key, poll_interval=0.05)
    writer = RedisStore(REDIS_URL, key=redis_key)
    try:
        assert reader.current() == FlagSet()
        writer.update(kill("a"), reason="incident 42", who="oncall")
        elapsed = wait_for(lambda: (f := reader.current()) is not None and "a" in f.flags)
        assert elapsed < 1.0
        assert writer.history()[-1]["reason"] == "incident 42"
        assert writer.history()[-1]["new"]["killed"] is True
    finally:
        reader.close()
        writer.close()


def test_forked_child_keeps_polling(redis_key: str) -> None:
    store = RedisStore(REDIS_URL, key=redis_key, poll_interval=0.05)
    store.current()  # the parent's thread runs
    pid = os.fork()
    if pid == 0:  # child: a new thread must follow the writes made by the parent
        code = 1
        try:
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                flags = store.current()
                if flags is not None and "after-fork" in flags.flags:
                    code = 0
                    break
                time.sleep(0.02)
        finally:
            os._exit(code)
    try:
        writer = RedisStore(REDIS_URL, key=redis_key)
        writer.update(kill("after-fork"), reason="test")
        writer.close()
    finally:
        _, status = os.waitpid(pid, 0)
        store.close()
    assert os.waitstatus_to_exitcode(status) == 0


def test_redis_down_last_good_then_legacy(private_redis: PrivateRedis, tmp_path: Path,
                                          caplog: pytest.LogCaptureFixture) -> None:
    last_good = tmp_path / "last-good.json"
    store = RedisStore(private_redis.url, poll_interval=0.05, max_stale=0.6,
                       last_good_path=last_good, socket_timeout=0.2)
    try:
        store.update(kill("a"), reason="test")
        with caplog.at_level(logging.ERROR, "asyncify.rollout"):
            private_redis.stop()
            time.sleep(0.2)
            flags = store.current()
            assert flags is not None and flags.flags["a"].killed  # last known good
            wait_for(lambda: store.current() is None, timeout=3)  # then legacy
        messages = " ".join(r.getMessage() for r in caplog.records)
        assert "Redis unreachable" in messages and "serves legacy" in messages
        restarted = RedisStore(private_redis.url, last_good_path=last_good, socket_timeout=0.2)
        try:  # a restart during the outage starts from the copy on disk
            flags = restarted.current()
            assert flags is not None and flags.flags["a"].killed
        finally:
            restarted.close()
    finally:
        store.close()


def test_stats_expire_with_workers(redis_key: str) -> None:
    store = RedisStore(REDIS_URL, key=redis_key)
    try:
        store.publish_stats({"worker": "w1", "flags": {}})
        assert store.read_stats() == [{"worker": "w1", "flags": {}}]
        client = redis.Redis.from_url(REDIS_URL)
        ttl = client.ttl(next(iter(client.scan_iter(match=f"{redis_key}:stats:*"))))
        client.close()
        assert 0 < ttl <= 60
    finally:
        store.close()
