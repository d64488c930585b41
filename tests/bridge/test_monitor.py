"""The loop-lag monitor and the forbid-blocking test mode."""

from __future__ import annotations

import asyncio
import logging
import socket
import time

import pytest

from asyncify import bridge

pytestmark = pytest.mark.timeout(30)


def block_the_loop() -> None:
    time.sleep(0.2)


BLOCKING_LINE = block_the_loop.__code__.co_firstlineno + 1


def test_the_monitor_names_the_line_of_a_blocking_sleep_within_300ms(
    caplog: pytest.LogCaptureFixture,
) -> None:
    reports: list[tuple[bridge.BlockEvent, float]] = []

    def on_block(event: bridge.BlockEvent) -> None:
        reports.append((event, time.perf_counter()))

    async def main() -> tuple[float, bridge.LoopLagStats]:
        async with bridge.LoopMonitor(threshold=0.05, on_block=on_block) as monitor:
            await asyncio.sleep(0.1)  # some quiet beats first
            started = time.perf_counter()
            block_the_loop()
            await asyncio.sleep(0.05)
        return started, monitor.stats()

    with caplog.at_level(logging.WARNING, logger="asyncify.bridge"):
        started, stats = asyncio.run(main())
    assert len(reports) == 1
    event, reported_at = reports[0]
    assert (event.filename, event.lineno) == (__file__, BLOCKING_LINE)
    assert event.function == "block_the_loop"
    assert event.line == "time.sleep(0.2)"
    assert event.location in str(event)
    assert reported_at - started < 0.3
    assert 0.05 <= event.blocked_for < 0.2
    assert event.thread_name == "MainThread"
    assert f"{__file__}:{BLOCKING_LINE}" in caplog.text
    assert stats.blocked == 1
    assert stats.lag_max >= 0.15


def test_a_quiet_loop_reports_nothing_and_measures_small_lag() -> None:
    monitor = bridge.LoopMonitor(threshold=0.1, interval=0.01)

    async def main() -> None:
        monitor.start()
        try:
            for _ in range(20):
                await asyncio.sleep(0.01)
        finally:
            monitor.stop()

    asyncio.run(main())
    stats = monitor.stats()
    assert monitor.events == ()
    assert stats.blocked == 0
    assert stats.samples >= 5
    assert stats.lag_max < 0.1
    assert sum(count for _, count in stats.histogram) == stats.samples


def test_home_loop_runs_the_monitor_for_the_apps_lifetime() -> None:
    monitor = bridge.LoopMonitor(threshold=0.05, log=False)

    async def main() -> None:
        async with bridge.home_loop(monitor=monitor):
            await asyncio.sleep(0.02)
            time.sleep(0.12)  # noqa: ASYNC251 -- the block the monitor must name
            await asyncio.sleep(0.02)

    asyncio.run(main())
    assert [event.function for event in monitor.events] == ["main"]


def test_a_monitor_cannot_start_twice() -> None:
    async def main() -> None:
        async with bridge.LoopMonitor() as monitor:
            with pytest.raises(bridge.BridgeError, match="already running"):
                monitor.start()

    asyncio.run(main())


# --- forbid_blocking --------------------------------------------------------------------------


def test_blocking_calls_on_the_loop_raise_in_test_mode() -> None:
    async def main() -> None:
        with pytest.raises(bridge.BlockingCallError, match=r"time.sleep\(\) on the event loop"):
            time.sleep(0.01)  # noqa: ASYNC251 -- the call test mode must refuse
        with socket.socket() as sock, pytest.raises(bridge.BlockingCallError, match="connect"):
            sock.connect(("127.0.0.1", 9))

    with bridge.forbid_blocking():
        asyncio.run(main())


def test_test_mode_leaves_threads_and_non_blocking_sockets_alone() -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(await reader.readline())
        await writer.drain()
        writer.close()
        await writer.wait_closed()

    async def main() -> bytes:
        await bridge.run_sync(time.sleep, 0.01)  # a worker thread may block
        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        async with server:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"ping\n")
            echoed = await reader.readline()
            writer.close()
            await writer.wait_closed()
        return echoed

    original = time.sleep
    with bridge.forbid_blocking():
        assert time.sleep is not original
        assert asyncio.run(main()) == b"ping\n"
    assert time.sleep is original


def test_allowed_modules_may_block() -> None:
    async def main() -> None:
        time.sleep(0.001)  # noqa: ASYNC251 -- allowed by module name

    with bridge.forbid_blocking(allow=[__name__]):
        asyncio.run(main())
