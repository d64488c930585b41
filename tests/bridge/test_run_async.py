"""Async → sync: which loop runs the coroutine, the loop-thread error, contextvars, timeouts."""

from __future__ import annotations

import asyncio
import contextvars
import threading
import time
import traceback

import greenback
import pytest

from asyncify import bridge

pytestmark = pytest.mark.timeout(30)

tenant: contextvars.ContextVar[str] = contextvars.ContextVar("tenant", default="-")


async def current_loop() -> asyncio.AbstractEventLoop:
    await asyncio.sleep(0)
    return asyncio.get_running_loop()


async def read_tenant() -> str:
    await asyncio.sleep(0)
    return tenant.get()


async def set_tenant(value: str) -> None:
    await asyncio.sleep(0)
    tenant.set(value)


async def fail_in_coroutine() -> None:
    await asyncio.sleep(0)
    raise LookupError("no such user")


def test_a_plain_thread_reaches_the_home_loop_and_its_loop_bound_objects() -> None:
    """The a2wsgi case: a foreign thread, not one the bridge started."""

    async def main() -> None:
        async with bridge.home_loop() as home:
            queue: asyncio.Queue[str] = asyncio.Queue()  # bound to the home loop

            async def put(item: str) -> asyncio.AbstractEventLoop:
                await queue.put(item)
                return asyncio.get_running_loop()

            def legacy_view() -> asyncio.AbstractEventLoop:
                return bridge.run_async(put, "from a thread")

            ran_on = await asyncio.get_running_loop().run_in_executor(None, legacy_view)
            assert ran_on is home
            assert queue.get_nowait() == "from a thread"

    asyncio.run(main())


def test_without_a_home_loop_one_background_loop_serves_every_call() -> None:
    first = bridge.run_async(current_loop)
    second = bridge.to_sync(current_loop)()
    assert first is second
    loop_threads = [t for t in threading.enumerate() if t.name == "asyncify-bridge-loop"]
    assert len(loop_threads) == 1
    assert bridge.shutdown() == []
    assert first.is_closed()
    assert not loop_threads[0].is_alive()


def test_a_worker_thread_calls_back_into_the_loop_awaiting_it() -> None:
    async def main() -> bool:
        loop = asyncio.get_running_loop()
        return await bridge.run_sync(lambda: bridge.run_async(current_loop)) is loop

    assert asyncio.run(main()) is True


def test_on_the_loop_thread_it_raises_at_once_instead_of_deadlocking() -> None:
    async def main() -> float:
        started = time.perf_counter()
        with pytest.raises(bridge.ReentryError, match=r"Await the coroutine instead") as info:
            bridge.run_async(current_loop)
        assert __file__ in str(info.value)  # names the call site
        with pytest.raises(bridge.ReentryError):
            bridge.to_sync(current_loop, timeout=1.0)()
        return time.perf_counter() - started

    assert asyncio.run(main()) < 0.1


def test_greenback_reentry_is_opt_in_and_needs_a_portal() -> None:
    def legacy_helper() -> str:  # deep sync code on the loop thread
        return bridge.to_sync(read_tenant, reentry="greenback")()

    async def main() -> str:
        tenant.set("acme")
        with pytest.raises(bridge.ReentryError, match="ensure_portal"):
            legacy_helper()
        await greenback.ensure_portal()
        return legacy_helper()

    assert asyncio.run(main()) == "acme"


def test_contextvars_flow_in_and_come_back_only_when_asked() -> None:
    tenant.set("acme")
    assert bridge.run_async(read_tenant) == "acme"
    bridge.run_async(set_tenant, "not copied back")
    assert tenant.get() == "acme"
    bridge.to_sync(set_tenant, copy_context_back=True)("copied back")
    assert tenant.get() == "copied back"
    tenant.set("-")


def test_exceptions_keep_their_type_and_original_traceback() -> None:
    with pytest.raises(LookupError, match="no such user") as info:
        bridge.run_async(fail_in_coroutine)
    frames = traceback.extract_tb(info.value.__traceback__)
    assert frames[-1].name == "fail_in_coroutine"
    assert frames[0].name == "test_exceptions_keep_their_type_and_original_traceback"


def test_timeout_raises_on_time_and_cancels_the_coroutine() -> None:
    cancelled = threading.Event()

    async def slow() -> None:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    started = time.perf_counter()
    with pytest.raises(bridge.BridgeTimeoutError, match="cancelled"):
        bridge.to_sync(slow, timeout=0.2)()
    assert 0.2 <= time.perf_counter() - started < 1.0
    assert cancelled.wait(1.0)


def test_cancelling_a_worker_cancels_the_async_calls_it_is_waiting_for() -> None:
    cancelled = threading.Event()

    async def slow() -> None:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    def legacy() -> None:
        bridge.run_async(slow)

    async def main() -> float:
        started = time.perf_counter()
        with pytest.raises(bridge.BridgeTimeoutError):
            await bridge.to_async(legacy, timeout=0.2, on_cancel="wait")()
        return time.perf_counter() - started

    assert 0.2 <= asyncio.run(main()) < 1.0
    assert cancelled.is_set()


def test_decorated_functions_keep_their_name_and_accept_kwargs() -> None:
    @bridge.to_sync
    async def greet(name: str, *, punctuation: str = ".") -> str:
        """Say hello."""
        await asyncio.sleep(0)
        return f"hello {name}{punctuation}"

    assert greet("ada", punctuation="!") == "hello ada!"
    assert greet.__name__ == "greet"
    assert greet.__doc__ == "Say hello."


def test_a_function_that_returns_no_awaitable_is_refused() -> None:
    with pytest.raises(bridge.BridgeError, match="not awaitable"):
        bridge.run_async(lambda: 42)  # type: ignore[arg-type, return-value]


def test_capturing_a_second_live_home_loop_is_refused() -> None:
    async def main() -> None:
        async with bridge.home_loop():
            other = asyncio.new_event_loop()
            try:
                with pytest.raises(bridge.BridgeError, match="already captured"):
                    bridge.capture_home_loop(other)
            finally:
                other.close()

    asyncio.run(main())
