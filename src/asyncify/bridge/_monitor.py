"""The loop-lag monitor: a cheap probe on the loop, and a watchdog that names the blocking line.

The probe is a timer callback every *interval* seconds; how late it runs is the loop lag. A
watchdog thread checks the probe's heartbeat; when the loop has been late by more than
*threshold*, it takes the loop thread's stack with ``sys._current_frames()`` (the loop is still
blocked, so the stack shows the culprit) and reports it. No patching of asyncio internals, so it
works on any loop, uvloop included.
"""

from __future__ import annotations

import asyncio
import bisect
import logging
import os
import sys
import sysconfig
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Final

from asyncify.bridge._errors import BridgeError

logger: Final = logging.getLogger("asyncify.bridge")

LAG_BUCKETS: Final = (0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, float("inf"))
_LIBRARY_DIRS: Final = tuple(
    {
        os.path.normcase(os.path.realpath(path)) + os.sep
        for key in ("stdlib", "platstdlib", "purelib", "platlib")
        if (path := sysconfig.get_paths().get(key))
    }
    | {os.path.normcase(os.path.realpath(os.path.dirname(__file__))) + os.sep}
)


@dataclass(frozen=True, slots=True)
class BlockEvent:
    """The event loop was blocked; where, and for how long when the stack was taken."""

    blocked_for: float
    filename: str
    lineno: int
    function: str
    line: str
    stack: traceback.StackSummary
    thread_name: str

    @property
    def location(self) -> str:
        """``file:line`` of the culprit: the innermost frame outside the stdlib and site-packages."""
        return f"{self.filename}:{self.lineno}"

    def __str__(self) -> str:
        return (
            f"event loop blocked for {self.blocked_for * 1000:.0f} ms at {self.location} "
            f"in {self.function}(): {self.line}"
        )


@dataclass(frozen=True, slots=True)
class LoopLagStats:
    """Loop-lag samples so far (seconds); ``histogram`` pairs an upper bound with a count."""

    samples: int
    lag_last: float
    lag_max: float
    lag_mean: float
    blocked: int
    histogram: tuple[tuple[float, int], ...]


class LoopMonitor:
    """Measure an event loop's lag and report the line that blocks it.

    Start it on the loop it watches (``monitor.start()`` or ``async with LoopMonitor():``), or
    pass ``monitor=`` to :func:`home_loop`. Each block longer than *threshold* seconds is logged
    on the ``asyncify.bridge`` logger with the loop thread's stack, passed to *on_block* (called
    from the watchdog thread), and kept in :attr:`events` (the latest *max_events*).
    """

    def __init__(
        self,
        *,
        threshold: float = 0.1,
        interval: float = 0.02,
        on_block: Callable[[BlockEvent], object] | None = None,
        log: bool = True,
        max_events: int = 100,
    ) -> None:
        if threshold <= 0 or interval <= 0:
            raise BridgeError(
                f"threshold and interval must be positive, got {threshold!r} and {interval!r}"
            )
        self.threshold: Final = threshold
        self.interval: Final = interval
        self.on_block = on_block
        self.log = log
        self._events: deque[BlockEvent] = deque(maxlen=max_events)
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None
        self._handle: asyncio.TimerHandle | None = None
        self._watchdog: threading.Thread | None = None
        self._stopping = threading.Event()
        self._last_beat = self._expected = 0.0
        self._reported = -1.0
        self._counts = [0] * len(LAG_BUCKETS)
        self._samples = self._blocked = 0
        self._lag_last = self._lag_max = self._lag_sum = 0.0

    def start(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        """Start probing *loop* (default: the running loop) and start the watchdog thread.

        :raises BridgeError: it is already running, or no loop is given or running.
        """
        if self._loop is not None:
            raise BridgeError("this LoopMonitor is already running; stop() it first")
        if loop is None:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                raise BridgeError(
                    "LoopMonitor.start() needs a running loop, or pass loop="
                ) from None
        self._loop = loop
        self._stopping.clear()
        self._last_beat = self._expected = time.monotonic()
        if asyncio._get_running_loop() is loop:
            self._beat()
        else:
            loop.call_soon_threadsafe(self._beat)
        self._watchdog = threading.Thread(
            target=self._watch, name="asyncify-loop-watchdog", daemon=True
        )
        self._watchdog.start()

    def stop(self) -> None:
        """Stop probing and join the watchdog thread; stopping twice is harmless."""
        loop, self._loop = self._loop, None
        if loop is None:
            return
        self._stopping.set()
        if self._watchdog is not None:
            self._watchdog.join()
            self._watchdog = None
        handle, self._handle = self._handle, None
        if handle is not None and not loop.is_closed():
            if asyncio._get_running_loop() is loop:
                handle.cancel()
            else:
                loop.call_soon_threadsafe(handle.cancel)

    async def __aenter__(self) -> LoopMonitor:
        self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def events(self) -> tuple[BlockEvent, ...]:
        """The blocks reported so far, oldest first (at most *max_events*)."""
        with self._lock:
            return tuple(self._events)

    def stats(self) -> LoopLagStats:
        """Return the lag samples so far."""
        with self._lock:
            return LoopLagStats(
                samples=self._samples,
                lag_last=self._lag_last,
                lag_max=self._lag_max,
                lag_mean=self._lag_sum / self._samples if self._samples else 0.0,
                blocked=self._blocked,
                histogram=tuple(zip(LAG_BUCKETS, self._counts, strict=True)),
            )

    def _beat(self) -> None:  # on the loop, every `interval`
        loop = self._loop
        if loop is None or self._stopping.is_set():
            return
        now = time.monotonic()
        lag = max(0.0, now - self._expected)
        with self._lock:
            self._loop_thread = threading.get_ident()
            self._samples += 1
            self._lag_last = lag
            self._lag_max = max(self._lag_max, lag)
            self._lag_sum += lag
            self._counts[bisect.bisect_left(LAG_BUCKETS, lag)] += 1
        self._last_beat = now
        self._expected = now + self.interval
        self._handle = loop.call_later(self.interval, self._beat)

    def _watch(self) -> None:  # the watchdog thread
        poll = min(self.interval, self.threshold / 4)
        while not self._stopping.wait(poll):
            beat = self._last_beat
            late = time.monotonic() - beat - self.interval
            if late <= self.threshold or beat == self._reported or self._loop_thread is None:
                continue
            frame = sys._current_frames().get(self._loop_thread)
            if frame is None:
                continue
            stack = traceback.extract_stack(frame)
            del frame
            if self._last_beat != beat:  # the loop moved on while the stack was taken
                continue
            self._reported = beat
            self._report(_event(late, stack, self._loop_thread))

    def _report(self, event: BlockEvent) -> None:
        with self._lock:
            self._blocked += 1
            self._events.append(event)
        if self.log:
            logger.warning("%s\n%s", event, "".join(event.stack.format()).rstrip())
        if self.on_block is not None:
            try:
                self.on_block(event)
            except Exception:
                logger.exception("LoopMonitor on_block callback %r failed", self.on_block)


def _event(late: float, stack: traceback.StackSummary, thread_id: int) -> BlockEvent:
    culprit = stack[-1]
    for frame in reversed(stack):
        path = os.path.normcase(os.path.realpath(frame.filename))
        if not path.startswith(_LIBRARY_DIRS) and not frame.filename.startswith("<"):
            culprit = frame
            break
    names = {thread.ident: thread.name for thread in threading.enumerate()}
    return BlockEvent(
        blocked_for=late,
        filename=culprit.filename,
        lineno=culprit.lineno or 0,
        function=culprit.name,
        line=culprit.line or "",
        stack=stack,
        thread_name=names.get(thread_id, str(thread_id)),
    )
