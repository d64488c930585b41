"""Lanes: named, bounded thread pools that run blocking calls for async code.

A lane is leaner than ``loop.run_in_executor``: workers feed from a ``SimpleQueue`` and resolve
the caller's asyncio future with ``call_soon_threadsafe`` (no ``concurrent.futures.Future`` in
between, the idea of CPython #136084). The queue lives on the thread side, so a saturated lane
hands work from one call to the next without a trip through the event loop.
"""

from __future__ import annotations

import contextlib
import itertools
import queue
import threading
import time
from dataclasses import dataclass
from typing import Any, Final, Literal

from asyncify.bridge._errors import BridgeClosedError, BridgeError, LaneFullError
from asyncify.bridge._jobs import DONE, DROPPED, PENDING, RUNNING, Job, current, deliver

WhenFull = Literal["wait", "reject"]

DEFAULT_LANE: Final = "default"
# What anyio, Starlette and FastAPI use, so their sizing advice carries over.
DEFAULT_MAX_WORKERS: Final = 40

_STOP: Final = object()


@dataclass(frozen=True, slots=True)
class LaneStats:
    """A snapshot of one lane's gauges and counters (times in seconds)."""

    name: str
    max_workers: int
    max_pending: int | None
    when_full: WhenFull
    threads: int
    busy: int
    idle: int
    queued: int
    submitted: int
    completed: int
    failed: int
    rejected: int
    cancelled: int
    timed_out: int
    abandoned: int
    abandoned_running: int
    wait_seconds_total: float
    wait_seconds_max: float
    run_seconds_total: float
    run_seconds_max: float


class _Generation:
    """The threads and queue of a lane between two shutdowns."""

    def __init__(self) -> None:
        self.queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self.threads: set[threading.Thread] = set()
        self.idle = 0  # threads blocked on the queue with no job promised to them
        self.active = 0  # threads running a job or promised one
        self.queued = 0  # jobs waiting for a thread
        self.closed = False


class Lane:
    """A named, bounded pool of worker threads for blocking calls.

    Threads start lazily, up to *max_workers*, and exit after *idle_timeout* seconds without
    work. When every worker is busy, calls queue; beyond *max_pending* queued calls a lane with
    ``when_full="reject"`` raises :class:`LaneFullError`, while ``when_full="wait"`` keeps the
    caller waiting (FIFO; the wait counts toward its ``timeout=``).
    """

    def __init__(
        self,
        name: str,
        *,
        max_workers: int,
        max_pending: int | None = None,
        when_full: WhenFull = "wait",
        idle_timeout: float = 10.0,
    ) -> None:
        if max_workers < 1:
            raise BridgeError(f"max_workers must be at least 1, got {max_workers!r}")
        if max_pending is not None and max_pending < 0:
            raise BridgeError(f"max_pending must be None or >= 0, got {max_pending!r}")
        if when_full not in ("wait", "reject"):
            raise BridgeError(f"when_full must be 'wait' or 'reject', got {when_full!r}")
        if idle_timeout <= 0:
            raise BridgeError(f"idle_timeout must be positive, got {idle_timeout!r}")
        self.name: Final = name
        self.max_workers: Final = max_workers
        self.max_pending: Final = max_pending
        self.when_full: Final[WhenFull] = when_full
        self.idle_timeout: Final = idle_timeout
        self._lock = threading.Lock()
        self._gen = _Generation()
        self._serial = itertools.count()
        self._submitted = self._completed = self._failed = self._rejected = 0
        self._cancelled = self._timed_out = self._abandoned = self._abandoned_running = 0
        self._wait_total = self._wait_max = self._run_total = self._run_max = 0.0

    def __repr__(self) -> str:
        return f"<Lane {self.name!r} max_workers={self.max_workers} max_pending={self.max_pending}>"

    def submit(self, job: Job, *, nested: bool = False) -> None:
        """Hand *job* to a worker, start one, or queue it.

        :param nested: the call comes from async code that a worker of some lane is waiting
            for; it may exceed ``max_workers`` so that saturated lanes cannot deadlock.
        :raises LaneFullError: the lane rejects calls and is full.
        """
        with self._lock:
            gen = self._gen
            if gen.idle:
                gen.idle -= 1
                gen.active += 1
                gen.queue.put(job)
            elif len(gen.threads) < self.max_workers or nested:
                gen.active += 1
                self._spawn(gen, job)
            elif (
                self.when_full == "wait"
                or self.max_pending is None
                or gen.queued < self.max_pending
            ):
                gen.queued += 1
                gen.queue.put(job)
            else:
                self._rejected += 1
                raise LaneFullError(
                    f"lane {self.name!r} is full: {self.max_workers} workers busy and "
                    f"{gen.queued} calls queued (max_pending={self.max_pending!r}); add workers, "
                    f"raise max_pending, or use when_full='wait'"
                )
            self._submitted += 1

    def _spawn(self, gen: _Generation, job: Job) -> None:
        # Called with the lock held; start() only waits for the thread to boot, not for the lock.
        thread = threading.Thread(
            target=self._work,
            args=(gen, job),
            name=f"asyncify-{self.name}-{next(self._serial)}",
            daemon=True,  # an abandoned call must not keep the interpreter from exiting
        )
        gen.threads.add(thread)
        try:
            thread.start()
        except BaseException:
            gen.threads.discard(thread)
            gen.active -= 1
            raise

    def drop(self, job: Job, *, timed_out: bool) -> bool:
        """Withdraw *job* if no worker has started it; return whether it was withdrawn."""
        with self._lock:
            if job.state != PENDING:
                return False
            job.state = DROPPED
            if timed_out:
                self._timed_out += 1
            else:
                self._cancelled += 1
            return True

    def stop_waiting(self, job: Job, *, timed_out: bool, abandon: bool) -> bool:
        """Record that the caller of a started *job* gave up; return whether it still runs."""
        with self._lock:
            if timed_out:
                self._timed_out += 1
            else:
                self._cancelled += 1
            running = job.state == RUNNING
            if running and abandon and not job.abandoned:
                job.abandoned = True
                self._abandoned += 1
                self._abandoned_running += 1
        if running:
            job.request_cancel()
        return running

    def _work(self, gen: _Generation, first: Job) -> None:
        lock = self._lock
        get = gen.queue.get
        job: Job | None = first
        while True:
            while job is None:
                try:
                    item = get(timeout=self.idle_timeout)
                except queue.Empty:
                    with lock:
                        if gen.idle and not gen.closed:
                            gen.idle -= 1
                            gen.threads.discard(threading.current_thread())
                            return
                    continue
                if item is _STOP:
                    return
                job = item
            with lock:
                claimed = job.state == PENDING
                if claimed:
                    job.state = RUNNING
            if claimed:
                self._run(job)
            with lock:
                if claimed:
                    self._account(job)  # before delivery, so the caller sees its call counted
                if gen.queued:
                    gen.queued -= 1
                    retire = False
                else:
                    gen.active -= 1
                    # An overflow thread (started for a nested call) exits once done.
                    retire = len(gen.threads) > self.max_workers
                    if retire:
                        gen.threads.discard(threading.current_thread())
                    else:
                        gen.idle += 1
            if claimed:
                self._deliver_threadsafe(job)
            if retire:
                return
            job = None

    @staticmethod
    def _run(job: Job) -> None:
        job.started = time.perf_counter()
        current.job = job
        try:
            job.result = job.context.run(job.fn, *job.args, **job.kwargs)
        except BaseException as exc:  # delivered to the awaiting caller, who re-raises it
            job.error = exc
        finally:
            current.job = None

    @staticmethod
    def _deliver_threadsafe(job: Job) -> None:
        try:
            job.loop.call_soon_threadsafe(deliver, job)
        except RuntimeError:  # the caller's loop closed while an abandoned call still ran
            job.error = None

    def _account(self, job: Job) -> None:
        # Called with the lock held, after the job ran.
        now = time.perf_counter()
        job.state = DONE
        waited, ran = job.started - job.submitted, now - job.started
        self._completed += 1
        if job.error is not None:
            self._failed += 1
        if job.abandoned:
            self._abandoned_running -= 1
        self._wait_total += waited
        self._run_total += ran
        self._wait_max = max(self._wait_max, waited)
        self._run_max = max(self._run_max, ran)

    def stats(self) -> LaneStats:
        """Return a consistent snapshot of the lane's gauges and counters."""
        with self._lock:
            gen = self._gen
            return LaneStats(
                name=self.name,
                max_workers=self.max_workers,
                max_pending=self.max_pending,
                when_full=self.when_full,
                threads=len(gen.threads),
                busy=gen.active - gen.queue.qsize() + gen.queued,
                idle=gen.idle,
                queued=gen.queued,
                submitted=self._submitted,
                completed=self._completed,
                failed=self._failed,
                rejected=self._rejected,
                cancelled=self._cancelled,
                timed_out=self._timed_out,
                abandoned=self._abandoned,
                abandoned_running=self._abandoned_running,
                wait_seconds_total=self._wait_total,
                wait_seconds_max=self._wait_max,
                run_seconds_total=self._run_total,
                run_seconds_max=self._run_max,
            )

    def close(self) -> list[threading.Thread]:
        """Stop the current workers without waiting; queued calls fail with BridgeClosedError.

        The lane stays usable: the next call starts fresh workers. Returns the stopped threads
        so the caller can join them.
        """
        with self._lock:
            old, self._gen = self._gen, _Generation()
            old.closed = True
            dropped: list[Job] = []
            while True:
                try:
                    item = old.queue.get_nowait()
                except queue.Empty:
                    break
                if item.state == PENDING:
                    item.state = DROPPED
                    dropped.append(item)
            for _ in range(len(old.threads)):
                old.queue.put(_STOP)
            threads = list(old.threads)
        for job in dropped:
            job.timeout_error = BridgeClosedError(
                f"lane {self.name!r} shut down before {job.fn!r} could start"
            )
            with contextlib.suppress(RuntimeError):  # that loop closed: nobody waits any more
                job.loop.call_soon_threadsafe(deliver, job)
        return threads


_lanes: dict[str, Lane] = {}
_registry_lock = threading.Lock()


def configure_lane(
    name: str,
    *,
    max_workers: int,
    max_pending: int | None = None,
    when_full: WhenFull = "wait",
    idle_timeout: float = 10.0,
) -> Lane:
    """Create the lane *name*, or replace its configuration.

    Size a lane to the resource it guards, e.g. ``configure_lane("db", max_workers=10)`` for a
    psycopg2 pool of 10 connections. Workers of a replaced configuration finish the calls they
    run, then exit.

    :raises BridgeError: a setting is out of range.
    """
    lane = Lane(
        name,
        max_workers=max_workers,
        max_pending=max_pending,
        when_full=when_full,
        idle_timeout=idle_timeout,
    )
    with _registry_lock:
        old = _lanes.get(name)
        _lanes[name] = lane
    if old is not None:
        old.close()
    return lane


def get_lane(name: str = DEFAULT_LANE) -> Lane:
    """Return the lane *name*; the ``"default"`` lane (40 workers) is created on first use.

    :raises BridgeError: no lane of that name was configured.
    """
    lane = _lanes.get(name)
    if lane is not None:
        return lane
    if name != DEFAULT_LANE:
        raise BridgeError(
            f"no lane named {name!r}; create it first, e.g. "
            f"configure_lane({name!r}, max_workers=10)"
        )
    with _registry_lock:
        lane = _lanes.get(name)
        if lane is None:
            lane = _lanes[name] = Lane(name, max_workers=DEFAULT_MAX_WORKERS)
    return lane


def lane_stats() -> dict[str, LaneStats]:
    """Return a snapshot of every lane's metrics, by lane name."""
    with _registry_lock:
        lanes = list(_lanes.values())
    return {lane.name: lane.stats() for lane in lanes}


def close_lanes() -> list[threading.Thread]:
    """Stop every lane's workers without waiting; return the threads to join."""
    with _registry_lock:
        lanes = list(_lanes.values())
    threads: list[threading.Thread] = []
    for lane in lanes:
        threads.extend(lane.close())
    return threads


def reset_after_fork() -> None:
    """Forget the parent's worker threads, which do not exist in a forked child."""
    global _registry_lock
    _registry_lock = threading.Lock()
    for lane in _lanes.values():
        lane._lock = threading.Lock()
        lane._gen = _Generation()
