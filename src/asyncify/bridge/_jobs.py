"""A call on its way through a lane: what it runs, for whom, and how it ends."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import Any

PENDING, RUNNING, DONE, DROPPED = range(4)
current = threading.local()  # .job: the Job a bridge worker thread is running


class Job:
    """One call on its way through a lane; owned by the bridge, not part of the public API."""

    __slots__ = (
        "abandoned",
        "args",
        "cancel_requested",
        "context",
        "delivered",
        "error",
        "fn",
        "future",
        "kwargs",
        "loop",
        "nested",
        "result",
        "started",
        "state",
        "submitted",
        "timeout_error",
    )

    def __init__(
        self,
        fn: Callable[..., Any],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        context: Any,
        loop: asyncio.AbstractEventLoop,
        future: asyncio.Future[Any],
    ) -> None:
        self.fn = fn
        self.args = args
        self.kwargs = kwargs
        self.context = context
        self.loop = loop
        self.future = future
        self.state = PENDING
        self.result: Any = None
        self.error: BaseException | None = None
        self.timeout_error: BaseException | None = None
        self.cancel_requested = False
        self.abandoned = False
        self.delivered = False
        self.nested: list[Callable[[], None]] | None = None
        self.submitted = time.perf_counter()
        self.started = 0.0

    def add_nested(self, cancel: Callable[[], None]) -> None:
        """Register how to cancel an async call this job's thread made through the bridge."""
        if self.nested is None:
            self.nested = []
        self.nested.append(cancel)
        if self.cancel_requested:
            cancel()

    def request_cancel(self) -> None:
        """Ask the running call to stop: ``check_cancelled()`` raises, nested async calls end."""
        self.cancel_requested = True
        for cancel in tuple(self.nested or ()):
            cancel()


def current_job() -> Job | None:
    """The job the calling bridge worker thread runs, or ``None`` in any other thread."""
    job: Job | None = getattr(current, "job", None)
    return job


def deliver(job: Job) -> None:
    """Resolve the caller's future with the job's outcome (runs on the caller's loop)."""
    job.delivered = True
    future = job.future
    if future.done():  # the caller gave up
        job.error = None
        return
    if job.timeout_error is not None:
        future.set_exception(job.timeout_error)
    elif job.error is not None:
        error, job.error = job.error, None  # the frames in its traceback reference the job
        if isinstance(error, StopIteration):  # an asyncio future refuses StopIteration
            wrapped = RuntimeError(f"{job.fn!r} raised StopIteration")
            wrapped.__cause__ = error
            error = wrapped
        future.set_exception(error)
    else:
        future.set_result(job.result)
