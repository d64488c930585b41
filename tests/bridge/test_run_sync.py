"""Sync → async: contextvars, exceptions, timeouts, cancellation policies, decorator forms."""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
import threading
import time
import traceback
from typing import Literal

import anyio
import pytest

from asyncify import bridge

pytestmark = pytest.mark.timeout(30)

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")


def read_request_id() -> tuple[str, str]:
    return request_id.get(), threading.current_thread().name


def set_request_id(value: str) -> None:
    request_id.set(value)


def set_request_id_then_fail(value: str) -> None:
    request_id.set(value)
    raise ValueError(value)


def fail_deep_inside() -> None:
    raise KeyError("missing")


def sleep_cooperatively(seconds: float, finished: list[bool]) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        bridge.check_cancelled()
        time.sleep(0.01)
    finished.append(True)


# --- contextvars ------------------------------------------------------------------------------


def test_the_thread_sees_the_callers_contextvars() -> None:
    async def main() -> tuple[str, str]:
        request_id.set("r-1")
        return await bridge.run_sync(read_request_id)

    value, thread = asyncio.run(main())
    assert value == "r-1"
    assert thread.startswith("asyncify-default-")


def test_changes_come_back_only_when_asked() -> None:
    async def main() -> tuple[str, str]:
        request_id.set("caller")
        await bridge.run_sync(set_request_id, "not copied back")
        unchanged = request_id.get()
        await bridge.to_async(set_request_id, copy_context_back=True)("copied back")
        return unchanged, request_id.get()

    assert asyncio.run(main()) == ("caller", "copied back")


def test_changes_come_back_when_the_function_raises() -> None:
    async def main() -> str:
        with pytest.raises(ValueError, match="set before failing"):
            await bridge.to_async(set_request_id_then_fail, copy_context_back=True)(
                "set before failing"
            )
        return request_id.get()

    assert asyncio.run(main()) == "set before failing"


# --- exceptions -------------------------------------------------------------------------------


def test_exceptions_keep_their_type_and_original_traceback() -> None:
    async def main() -> None:
        await bridge.run_sync(fail_deep_inside)

    with pytest.raises(KeyError, match="missing") as info:
        asyncio.run(main())
    frames = traceback.extract_tb(info.value.__traceback__)
    assert frames[-1].name == "fail_deep_inside"
    assert frames[-1].line == 'raise KeyError("missing")'
    assert any(frame.name == "main" for frame in frames)  # and the awaiting side


# --- timeouts ---------------------------------------------------------------------------------


def test_timeout_raises_on_time_and_abandons_the_thread() -> None:
    release = threading.Event()
    lane = bridge.configure_lane("timeouts", max_workers=2)

    async def main() -> tuple[float, bridge.LaneStats]:
        started = time.perf_counter()
        with pytest.raises(bridge.BridgeTimeoutError, match="abandoned") as info:
            await bridge.to_async(release.wait, lane=lane, timeout=0.2)(10)
        elapsed = time.perf_counter() - started
        assert isinstance(info.value, TimeoutError)
        stats = lane.stats()
        release.set()
        return elapsed, stats

    elapsed, stats = asyncio.run(main())
    assert 0.2 <= elapsed < 1.0
    assert (stats.timed_out, stats.abandoned, stats.abandoned_running) == (1, 1, 1)


def test_timeout_with_wait_policy_raises_once_the_thread_returns() -> None:
    async def main() -> float:
        started = time.perf_counter()
        with pytest.raises(bridge.BridgeTimeoutError, match="waited for"):
            await bridge.to_async(time.sleep, timeout=0.1, on_cancel="wait")(0.4)
        return time.perf_counter() - started

    assert 0.4 <= asyncio.run(main()) < 1.4


def test_timeout_of_a_queued_call_raises_on_time_and_it_never_runs() -> None:
    release = threading.Event()
    ran: list[str] = []
    lane = bridge.configure_lane("one", max_workers=1)

    async def main() -> float:
        busy = asyncio.create_task(bridge.to_async(release.wait, lane=lane)(10))
        await asyncio.sleep(0.05)
        started = time.perf_counter()
        with pytest.raises(bridge.BridgeTimeoutError, match="queue"):
            await bridge.to_async(ran.append, lane=lane, timeout=0.2)("ran")
        elapsed = time.perf_counter() - started
        release.set()
        await busy
        await bridge.to_async(ran.append, lane=lane)("later call")
        return elapsed

    assert 0.2 <= asyncio.run(main()) < 1.0
    assert ran == ["later call"]


def test_check_cancelled_stops_a_timed_out_call_early() -> None:
    finished: list[bool] = []

    async def main() -> float:
        started = time.perf_counter()
        with pytest.raises(bridge.BridgeTimeoutError):
            await bridge.to_async(sleep_cooperatively, timeout=0.2, on_cancel="wait")(5, finished)
        return time.perf_counter() - started

    assert 0.2 <= asyncio.run(main()) < 1.0
    assert finished == []


@pytest.mark.parametrize("on_cancel", ["abandon", "wait"])
def test_anyio_fail_after_always_raises(on_cancel: Literal["abandon", "wait"]) -> None:
    """anyio's own to_thread returns silently here (reference §2); the bridge raises."""

    async def main() -> float:
        started = time.perf_counter()
        with pytest.raises(TimeoutError), anyio.fail_after(0.1):
            await bridge.to_async(time.sleep, on_cancel=on_cancel)(0.3)
        return time.perf_counter() - started

    elapsed = anyio.run(main, backend="asyncio")
    if on_cancel == "abandon":
        assert 0.1 <= elapsed < 0.29
    else:
        assert 0.3 <= elapsed < 1.3


def test_asyncio_timeout_raises_on_time_with_abandon() -> None:
    async def main() -> float:
        started = time.perf_counter()
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.1):
                await bridge.run_sync(time.sleep, 0.4)
        return time.perf_counter() - started

    assert 0.1 <= asyncio.run(main()) < 0.39


# --- cancellation -----------------------------------------------------------------------------


def test_cancel_with_abandon_returns_at_once_while_the_thread_runs_on() -> None:
    release = threading.Event()
    lane = bridge.configure_lane("abandon", max_workers=2)

    async def main() -> tuple[float, int]:
        task = asyncio.create_task(bridge.to_async(release.wait, lane=lane)(10))
        await asyncio.sleep(0.1)
        started = time.perf_counter()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        elapsed = time.perf_counter() - started
        running = lane.stats().abandoned_running
        release.set()
        return elapsed, running

    elapsed, running = asyncio.run(main())
    assert elapsed < 0.5
    assert running == 1


def test_cancel_with_wait_returns_after_the_thread_finishes() -> None:
    returned: list[float] = []

    def work() -> None:
        time.sleep(0.3)
        returned.append(time.perf_counter())

    async def main() -> float:
        task = asyncio.create_task(bridge.to_async(work, on_cancel="wait")())
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return time.perf_counter()

    cancelled_at = asyncio.run(main())
    assert returned and returned[0] <= cancelled_at


def test_cancelling_a_queued_call_means_it_never_runs() -> None:
    release = threading.Event()
    ran: list[str] = []
    lane = bridge.configure_lane("one", max_workers=1)

    async def main() -> bridge.LaneStats:
        busy = asyncio.create_task(bridge.to_async(release.wait, lane=lane)(10))
        queued = asyncio.create_task(bridge.to_async(ran.append, lane=lane)("queued"))
        await asyncio.sleep(0.05)
        queued.cancel()
        with pytest.raises(asyncio.CancelledError):
            await queued
        release.set()
        await busy
        return lane.stats()

    stats = asyncio.run(main())
    assert ran == []
    assert stats.cancelled == 1


# --- decorator forms and typing ---------------------------------------------------------------


def test_decorator_forms_keep_name_kwargs_and_coroutine_detection() -> None:
    @bridge.to_async
    def add(a: int, b: int = 0) -> int:
        """Add two numbers."""
        return a + b

    @bridge.to_async(timeout=5.0)
    def mul(a: int, *, by: int) -> int:
        return a * by

    class Repository:
        def __init__(self) -> None:
            self.factor = 3

        @bridge.to_async
        def scaled(self, value: int) -> int:
            return value * self.factor

    async def main() -> tuple[int, int, int]:
        return await add(1, b=2), await mul(2, by=5), await Repository().scaled(2)

    assert asyncio.run(main()) == (3, 10, 6)
    assert add.__name__ == "add"
    assert add.__doc__ == "Add two numbers."
    assert inspect.iscoroutinefunction(add)
    assert inspect.iscoroutinefunction(Repository.scaled)


def test_partial_objects_and_builtins_work() -> None:
    async def main() -> tuple[int, str]:
        return await bridge.run_sync(functools.partial(int, "ff"), base=16), await bridge.run_sync(
            str.upper, "ok"
        )

    assert asyncio.run(main()) == (255, "OK")


def test_wrapping_a_coroutine_function_is_refused() -> None:
    async def already_async() -> None:
        pass

    with pytest.raises(bridge.BridgeError, match="already async"):
        bridge.to_async(already_async)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"timeout": -1.0}, "timeout must be"),
        ({"on_cancel": "ignore"}, "on_cancel must be"),
    ],
)
def test_invalid_options_are_refused(options: dict[str, object], message: str) -> None:
    with pytest.raises(bridge.BridgeError, match=message):
        bridge.to_async(time.sleep, **options)  # type: ignore[call-overload]


def test_an_unknown_lane_is_reported_with_the_remedy() -> None:
    async def main() -> None:
        await bridge.to_async(time.sleep, lane="no-such-lane")(0)

    with pytest.raises(bridge.BridgeError, match=r"configure_lane\('no-such-lane'"):
        asyncio.run(main())
