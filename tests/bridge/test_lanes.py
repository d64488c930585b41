"""Lanes: capacity, queue cap and policies, metrics, nested calls, shutdown, thread leaks."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from asyncify import bridge

pytestmark = pytest.mark.timeout(60)


class Gauge:
    """Counts how many calls run at once, and the most ever seen."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.now = self.peak = 0
        self.threads: set[str] = set()

    def work(self, seconds: float) -> None:
        with self.lock:
            self.now += 1
            self.peak = max(self.peak, self.now)
            self.threads.add(threading.current_thread().name)
        time.sleep(seconds)
        with self.lock:
            self.now -= 1


def test_a_lane_never_runs_more_calls_than_its_workers() -> None:
    gauge = Gauge()
    lane = bridge.configure_lane("cap", max_workers=4)

    async def main() -> None:
        await asyncio.gather(*(bridge.to_async(gauge.work, lane=lane)(0.05) for _ in range(16)))

    asyncio.run(main())
    assert gauge.peak == 4
    assert len(gauge.threads) == 4
    assert all(name.startswith("asyncify-cap-") for name in gauge.threads)
    stats = lane.stats()
    assert (stats.submitted, stats.completed, stats.threads) == (16, 16, 4)


def test_a_full_lane_rejects_when_asked_to() -> None:
    release = threading.Event()
    lane = bridge.configure_lane("reject", max_workers=2, max_pending=2, when_full="reject")

    async def main() -> bridge.LaneStats:
        call = bridge.to_async(release.wait, lane=lane)
        accepted = [asyncio.create_task(call(10)) for _ in range(4)]
        await asyncio.sleep(0.05)
        with pytest.raises(bridge.LaneFullError, match=r"lane 'reject' is full: 2 workers busy"):
            await call(10)
        stats = lane.stats()
        release.set()
        assert await asyncio.gather(*accepted) == [True] * 4
        return stats

    stats = asyncio.run(main())
    assert (stats.busy, stats.queued, stats.rejected) == (2, 2, 1)


def test_a_full_lane_makes_callers_wait_by_default() -> None:
    release = threading.Event()
    lane = bridge.configure_lane("wait", max_workers=2, max_pending=2)

    async def main() -> bridge.LaneStats:
        call = bridge.to_async(release.wait, lane=lane)
        tasks = [asyncio.create_task(call(10)) for _ in range(6)]
        await asyncio.sleep(0.05)
        stats = lane.stats()
        release.set()
        assert await asyncio.gather(*tasks) == [True] * 6
        return stats

    stats = asyncio.run(main())
    assert (stats.busy, stats.queued, stats.rejected) == (2, 4, 0)


def test_metrics_separate_queue_wait_from_run_time() -> None:
    lane = bridge.configure_lane("metrics", max_workers=1)

    async def main() -> None:
        call = bridge.to_async(time.sleep, lane=lane)
        await asyncio.gather(call(0.1), call(0.1))
        with pytest.raises(ZeroDivisionError):
            await bridge.to_async(divmod, lane=lane)(1, 0)

    asyncio.run(main())
    stats = lane.stats()
    assert (stats.completed, stats.failed) == (3, 1)
    assert 0.2 <= stats.run_seconds_total < 1.0
    assert 0.09 <= stats.wait_seconds_max < 1.0  # the second sleep queued behind the first
    assert bridge.lane_stats()["metrics"] == stats


def test_nested_calls_through_the_loop_cannot_deadlock_a_saturated_lane() -> None:
    """thread → loop → thread: the inner call may exceed the lane (trio #810, FastAPI #3205)."""
    lane = bridge.configure_lane("nested", max_workers=1)

    async def inner() -> str:
        return await bridge.to_async(lambda: threading.current_thread().name, lane=lane)()

    def outer() -> str:
        return bridge.run_async(inner)

    async def main() -> list[str]:
        return await asyncio.gather(*(bridge.to_async(outer, lane=lane)() for _ in range(3)))

    names = asyncio.run(main())
    assert all(name.startswith("asyncify-nested-") for name in names)
    assert lane.stats().threads <= 1  # the overflow threads exit once done


def test_copying_a_nested_callers_context_back_does_not_lift_the_limit() -> None:
    gauge = Gauge()
    lane = bridge.configure_lane("strict", max_workers=1)

    async def nothing() -> None:
        pass

    async def main() -> None:
        await bridge.to_async(bridge.run_async, lane=lane, copy_context_back=True)(nothing)
        await asyncio.gather(*(bridge.to_async(gauge.work, lane=lane)(0.02) for _ in range(4)))

    asyncio.run(main())
    assert gauge.peak == 1


def test_shutdown_fails_queued_calls_and_the_lane_restarts_on_next_use() -> None:
    release = threading.Event()
    lane = bridge.configure_lane("closing", max_workers=1)

    async def main() -> bool:
        running = asyncio.create_task(bridge.to_async(release.wait, lane=lane)(10))
        queued = asyncio.create_task(bridge.to_async(time.sleep, lane=lane)(0))
        await asyncio.sleep(0.05)
        asyncio.get_running_loop().call_later(0.1, release.set)
        assert await bridge.aclose(grace=5.0) == []
        with pytest.raises(bridge.BridgeClosedError, match="shut down"):
            await queued
        assert await running is True
        return await bridge.to_async(release.is_set, lane=lane)()

    assert asyncio.run(main()) is True


def test_no_thread_leaks_after_10k_calls() -> None:
    lane = bridge.configure_lane("leaks", max_workers=8, idle_timeout=0.2)
    baseline = threading.active_count()
    peak = 0

    def note_threads() -> None:
        nonlocal peak
        peak = max(peak, threading.active_count())

    async def main() -> None:
        call = bridge.to_async(note_threads, lane=lane)
        for _ in range(100):
            await asyncio.gather(*(call() for _ in range(100)))

    asyncio.run(main())
    assert lane.stats().completed == 10_000
    assert peak <= baseline + 8
    deadline = time.monotonic() + 5.0  # idle workers exit by themselves, without shutdown
    while threading.active_count() > baseline and time.monotonic() < deadline:
        time.sleep(0.02)
    assert threading.active_count() == baseline
    assert lane.stats().threads == 0


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"max_workers": 0}, "max_workers must be at least 1"),
        ({"max_workers": 1, "max_pending": -1}, "max_pending must be"),
        ({"max_workers": 1, "when_full": "drop"}, "when_full must be"),
        ({"max_workers": 1, "idle_timeout": 0}, "idle_timeout must be positive"),
    ],
)
def test_invalid_lane_settings_are_refused(settings: dict[str, object], message: str) -> None:
    with pytest.raises(bridge.BridgeError, match=message):
        bridge.configure_lane("bad", **settings)  # type: ignore[arg-type]
