"""Sync → async: await blocking code, which runs on a lane's worker thread."""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
from collections.abc import Callable, Coroutine
from typing import Any, Final, Literal, ParamSpec, TypeVar, overload

from asyncify.bridge._errors import BridgeError, BridgeTimeoutError
from asyncify.bridge._jobs import Job, current_job, deliver
from asyncify.bridge._lanes import DEFAULT_LANE, Lane, get_lane

P = ParamSpec("P")
R = TypeVar("R")

OnCancel = Literal["abandon", "wait"]

# True in the context of async code that a bridge worker thread is blocked on (see _to_sync).
NESTED: Final[contextvars.ContextVar[bool]] = contextvars.ContextVar(
    "asyncify_bridge_nested", default=False
)
_MISSING: Final = object()


async def run_sync(fn: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
    """Run the blocking *fn* on the default lane's worker thread and await its result.

    The thread sees a copy of the caller's contextvars. Cancelling the awaiting task abandons
    the thread (which keeps its slot until *fn* returns). For a timeout, another lane, the
    ``"wait"`` cancellation policy or contextvar write-back, use :func:`to_async`.

    :raises LaneFullError: the lane rejects calls and is full.
    :raises BaseException: whatever *fn* raised, with its original traceback.
    """
    return await _call(get_lane(), fn, args, kwargs, None, "abandon", False)


@overload
def to_async(
    fn: Callable[P, R],
    /,
    *,
    lane: str | Lane = ...,
    timeout: float | None = ...,
    on_cancel: OnCancel = ...,
    copy_context_back: bool = ...,
) -> Callable[P, Coroutine[Any, Any, R]]: ...
@overload
def to_async(
    *,
    lane: str | Lane = ...,
    timeout: float | None = ...,
    on_cancel: OnCancel = ...,
    copy_context_back: bool = ...,
) -> Callable[[Callable[P, R]], Callable[P, Coroutine[Any, Any, R]]]: ...
def to_async(
    fn: Callable[P, R] | None = None,
    /,
    *,
    lane: str | Lane = DEFAULT_LANE,
    timeout: float | None = None,
    on_cancel: OnCancel = "abandon",
    copy_context_back: bool = False,
) -> (
    Callable[P, Coroutine[Any, Any, R]]
    | Callable[[Callable[P, R]], Callable[P, Coroutine[Any, Any, R]]]
):
    """Turn the blocking *fn* into an async function that runs it on a lane's worker thread.

    Use it as ``@to_async``, ``@to_async(lane="db", timeout=2)``, or for one call:
    ``await to_async(fn, timeout=2)(*args, **kwargs)``.

    :param lane: the lane (or its name) whose workers run *fn*; looked up at call time.
    :param timeout: seconds, counted from the call (queueing included). On expiry the call
        raises :class:`BridgeTimeoutError`: at once with ``on_cancel="abandon"``, or once the
        thread has returned with ``on_cancel="wait"``. It never returns a late result.
    :param on_cancel: when the awaiting task is cancelled or times out while *fn* runs,
        ``"abandon"`` stops waiting at once (the thread keeps its slot until *fn* returns) and
        ``"wait"`` waits for *fn* to return before raising. Either way *fn* can stop early by
        calling :func:`check_cancelled`, and a call still queued never starts.
    :param copy_context_back: apply the contextvars *fn* set to the caller's context.
    :raises BridgeError: *fn* is a coroutine function (await it instead), or an option is invalid.
    """
    if timeout is not None and timeout < 0:
        raise BridgeError(f"timeout must be None or >= 0, got {timeout!r}")
    if on_cancel not in ("abandon", "wait"):
        raise BridgeError(f"on_cancel must be 'abandon' or 'wait', got {on_cancel!r}")

    def decorate(fn: Callable[P, R]) -> Callable[P, Coroutine[Any, Any, R]]:
        if inspect.iscoroutinefunction(fn):
            raise BridgeError(f"{fn!r} is already async; await it instead of wrapping it")

        @functools.wraps(fn)
        async def call_in_thread(*args: P.args, **kwargs: P.kwargs) -> R:
            target = lane if isinstance(lane, Lane) else get_lane(lane)
            return await _call(target, fn, args, kwargs, timeout, on_cancel, copy_context_back)

        return call_in_thread

    return decorate if fn is None else decorate(fn)


def check_cancelled() -> None:
    """Raise if the async caller of this bridge worker thread has stopped waiting.

    Call it in long-running sync code so a timed-out or cancelled call stops early. Outside a
    bridge worker thread it does nothing, so library code may call it unconditionally.

    :raises asyncio.CancelledError: the caller was cancelled or timed out.
    """
    job = current_job()
    if job is not None and job.cancel_requested:
        raise asyncio.CancelledError(f"the caller of {job.fn!r} stopped waiting")


async def _call(
    lane: Lane,
    fn: Callable[..., R],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    seconds: float | None,
    on_cancel: OnCancel,
    copy_back: bool,
) -> R:
    loop = asyncio.get_running_loop()
    context = contextvars.copy_context()
    future: asyncio.Future[R] = loop.create_future()
    job = Job(fn, args, kwargs, context, loop, future)
    lane.submit(job, nested=NESTED.get())
    timer = None
    if seconds is not None:
        timer = loop.call_later(seconds, _expire, job, lane, seconds, on_cancel)
    try:
        result = await future
    except asyncio.CancelledError:
        await _cancelled(job, lane, on_cancel)
        raise
    except BaseException:
        if copy_back and job.timeout_error is None:  # fn raised: keep what it set, as a call would
            apply_context(context)
        raise
    finally:
        if timer is not None:
            timer.cancel()
    if copy_back:
        apply_context(context)
    return result


def _expire(job: Job, lane: Lane, timeout: float, on_cancel: OnCancel) -> None:
    if job.delivered:
        return
    if lane.drop(job, timed_out=True):
        what, deliver_now = "waited in the queue of", True
    elif lane.stop_waiting(job, timed_out=True, abandon=on_cancel == "abandon"):
        what = "was abandoned on" if on_cancel == "abandon" else "was waited for on"
        deliver_now = on_cancel == "abandon"  # "wait": deliver() raises this once fn returns
    else:  # fn returned in time; its result is on the way
        return
    job.timeout_error = BridgeTimeoutError(
        f"{job.fn!r} did not finish within timeout={timeout!r}s; it {what} lane "
        f"{lane.name!r} (on_cancel={on_cancel!r}). Raise the timeout, or call "
        f"check_cancelled() in long-running sync code so it stops early"
    )
    if deliver_now:
        deliver(job)


async def _cancelled(job: Job, lane: Lane, on_cancel: OnCancel) -> None:
    """The awaiting task was cancelled: withdraw, abandon, or wait for the call."""
    if job.delivered:
        return
    if job.timeout_error is None:  # not already given up on by _expire
        if lane.drop(job, timed_out=False):
            return
        running = lane.stop_waiting(job, timed_out=False, abandon=on_cancel == "abandon")
        if not running or on_cancel == "abandon":
            return
    # "wait": the cancelled future is useless now; deliver() resolves whatever job.future is.
    waiter: asyncio.Future[Any] = job.loop.create_future()
    job.future = waiter
    while not waiter.done():
        try:  # absorb repeated cancellation (anyio re-delivers it every loop iteration)
            await asyncio.shield(waiter)
        except asyncio.CancelledError:
            continue
        except BaseException:  # the call's own outcome; the cancellation wins
            break


def apply_context(context: contextvars.Context) -> None:
    """Set in the current context every variable whose value differs in *context* (O(vars))."""
    for var, value in context.items():
        if var is not NESTED and var.get(_MISSING) is not value:
            var.set(value)
