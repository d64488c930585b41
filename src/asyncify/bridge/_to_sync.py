"""Async → sync: call async code from a thread, on the application's own event loop."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import inspect
import os
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Literal, ParamSpec, TypeVar, cast, overload

from asyncify.bridge._errors import BridgeClosedError, BridgeError, BridgeTimeoutError, ReentryError
from asyncify.bridge._jobs import current_job
from asyncify.bridge._loops import background, home_loop_or_none
from asyncify.bridge._to_async import NESTED, apply_context

P = ParamSpec("P")
R = TypeVar("R")

Reentry = Literal["raise", "greenback"]

_POLL = 1.0  # seconds between checks that the target loop is still alive while waiting
_PACKAGE_DIR = os.path.dirname(__file__)


def run_async(fn: Callable[P, Awaitable[R]], /, *args: P.args, **kwargs: P.kwargs) -> R:
    """Run ``fn(*args, **kwargs)`` on the application's event loop and wait for its result.

    The loop is, in order: the loop of the async code this bridge worker thread is serving; the
    home loop captured at startup (see :func:`capture_home_loop`); the shared background loop.
    The coroutine sees a copy of the caller's contextvars. For a timeout, write-back of
    contextvars, or re-entry from the loop thread, use :func:`to_sync`.

    :raises ReentryError: the calling thread runs an event loop (await the coroutine instead).
    :raises BridgeClosedError: the target loop closed before the coroutine finished.
    :raises BaseException: whatever the coroutine raised, with its original traceback.
    """
    return _call(fn, args, kwargs, None, "raise", False)


@overload
def to_sync(
    fn: Callable[P, Awaitable[R]],
    /,
    *,
    timeout: float | None = ...,
    reentry: Reentry = ...,
    copy_context_back: bool = ...,
) -> Callable[P, R]: ...
@overload
def to_sync(
    *,
    timeout: float | None = ...,
    reentry: Reentry = ...,
    copy_context_back: bool = ...,
) -> Callable[[Callable[P, Awaitable[R]]], Callable[P, R]]: ...
def to_sync(
    fn: Callable[P, Awaitable[R]] | None = None,
    /,
    *,
    timeout: float | None = None,
    reentry: Reentry = "raise",
    copy_context_back: bool = False,
) -> Callable[P, R] | Callable[[Callable[P, Awaitable[R]]], Callable[P, R]]:
    """Turn the async *fn* into a blocking function that runs it on the application's loop.

    Use it as ``@to_sync``, ``@to_sync(timeout=2)``, or for one call:
    ``to_sync(fn, timeout=2)(*args, **kwargs)``. The loop is chosen as in :func:`run_async`.

    :param timeout: seconds; on expiry the coroutine is cancelled and the call raises
        :class:`BridgeTimeoutError` at once.
    :param reentry: what to do when called on a thread that runs an event loop: ``"raise"``
        :class:`ReentryError`, or ``"greenback"`` to run the coroutine in the calling task with
        ``greenback.await_`` (opt-in; the task must have called
        ``await greenback.ensure_portal()``).
    :param copy_context_back: apply the contextvars the coroutine set to the caller's context.
    :raises BridgeError: an option is invalid.
    """
    if timeout is not None and timeout < 0:
        raise BridgeError(f"timeout must be None or >= 0, got {timeout!r}")
    if reentry not in ("raise", "greenback"):
        raise BridgeError(f"reentry must be 'raise' or 'greenback', got {reentry!r}")

    def decorate(fn: Callable[P, Awaitable[R]]) -> Callable[P, R]:
        @functools.wraps(fn)
        def call_on_loop(*args: P.args, **kwargs: P.kwargs) -> R:
            return _call(fn, args, kwargs, timeout, reentry, copy_context_back)

        return call_on_loop

    return decorate if fn is None else decorate(fn)


class _Pending:
    """A coroutine submitted to a loop, and the lock its caller blocks on."""

    __slots__ = ("cancelled", "coro", "done", "error", "loop", "result", "task")

    def __init__(self, coro: Coroutine[Any, Any, Any], loop: asyncio.AbstractEventLoop) -> None:
        self.coro = coro
        self.loop = loop
        self.done = threading.Lock()
        self.done.acquire()
        self.result: Any = None
        self.error: BaseException | None = None
        self.task: asyncio.Task[Any] | None = None
        self.cancelled = False

    def start(self, context: contextvars.Context) -> None:  # on the loop
        if self.cancelled:
            self.coro.close()
            self.error = asyncio.CancelledError()
            self.done.release()
            return
        self.task = self.loop.create_task(self.coro, context=context)
        self.task.add_done_callback(self.finish)

    def finish(self, task: asyncio.Task[Any]) -> None:  # on the loop
        try:
            self.result = task.result()
        except BaseException as exc:  # re-raised in the waiting thread
            self.error = exc
        self.done.release()

    def cancel(self) -> None:  # on the loop
        self.cancelled = True
        if self.task is not None:
            self.task.cancel()

    def cancel_threadsafe(self) -> None:
        with contextlib.suppress(RuntimeError):  # the loop closed; nothing left to cancel
            self.loop.call_soon_threadsafe(self.cancel)


def _call(
    fn: Callable[..., Awaitable[R]],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    timeout: float | None,
    reentry: Reentry,
    copy_back: bool,
) -> R:
    running = asyncio._get_running_loop()
    if running is not None:
        if reentry == "greenback":
            return _call_via_greenback(fn, args, kwargs, timeout)
        raise ReentryError(
            f"{_name(fn)} was called synchronously on the thread that runs {running!r} "
            f"(at {_call_site()}); blocking that thread to wait for its own loop would "
            f"deadlock. Await the coroutine instead, or move the calling sync code to a worker "
            f"thread with to_async()/run_sync(); to re-enter from deep sync code, opt in with "
            f"to_sync(fn, reentry='greenback') after `await greenback.ensure_portal()`"
        )
    job = current_job()
    loop = job.loop if job is not None and not job.loop.is_closed() else None
    loop = loop or home_loop_or_none() or background.get()
    context = contextvars.copy_context()
    if job is not None:  # this worker waits on the loop: a nested call may exceed lane limits
        context.run(NESTED.set, True)
    pending = _Pending(_as_coroutine(fn, args, kwargs), loop)
    try:
        loop.call_soon_threadsafe(pending.start, context, context=context)
    except RuntimeError:
        pending.coro.close()
        raise BridgeClosedError(f"the event loop {loop!r} closed; cannot run {_name(fn)}") from None
    if job is not None:
        job.add_nested(pending.cancel_threadsafe)
    try:
        _wait(pending, timeout, fn)
    except BaseException:  # e.g. KeyboardInterrupt in a CLI: the coroutine must not run on
        pending.cancel_threadsafe()
        raise
    finally:
        if job is not None and job.nested is not None:
            job.nested.remove(pending.cancel_threadsafe)
    error, pending.error = pending.error, None
    if copy_back and not isinstance(error, asyncio.CancelledError):
        apply_context(context)
    if error is not None:
        try:
            raise error
        finally:
            del error  # the traceback's frames would keep it alive in a cycle
    return cast(R, pending.result)


def _wait(pending: _Pending, timeout: float | None, fn: Callable[..., Any]) -> None:
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        wait = _POLL if deadline is None else min(_POLL, max(0.0, deadline - time.monotonic()))
        if pending.done.acquire(timeout=wait):
            return
        if pending.loop.is_closed():
            raise BridgeClosedError(
                f"the event loop {pending.loop!r} closed before {_name(fn)} finished"
            )
        if deadline is not None and time.monotonic() >= deadline:
            pending.cancel_threadsafe()
            raise BridgeTimeoutError(
                f"{_name(fn)} did not finish within timeout={timeout!r}s on {pending.loop!r}; "
                f"it was cancelled"
            )


def _as_coroutine(
    fn: Callable[..., Awaitable[R]], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Coroutine[Any, Any, R]:
    awaitable = fn(*args, **kwargs)
    if inspect.iscoroutine(awaitable):
        return awaitable
    if not inspect.isawaitable(awaitable):
        raise BridgeError(
            f"{_name(fn)} returned {awaitable!r}, which is not awaitable; call sync functions "
            f"directly instead of through run_async()/to_sync()"
        )
    return _await(awaitable)


async def _await(awaitable: Awaitable[R]) -> R:
    return await awaitable


def _call_via_greenback(
    fn: Callable[..., Awaitable[R]],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    timeout: float | None,
) -> R:
    try:
        import greenback
    except ImportError:
        raise BridgeError(
            "reentry='greenback' needs the greenback package: pip install greenback"
        ) from None
    if not greenback.has_portal():
        raise ReentryError(
            f"{_name(fn)} was called on an event loop thread with reentry='greenback', but the "
            f"calling task has no greenback portal; run `await greenback.ensure_portal()` in "
            f"that task first (e.g. in a middleware)"
        )
    awaitable: Awaitable[R] = _as_coroutine(fn, args, kwargs)
    if timeout is not None:
        awaitable = asyncio.wait_for(awaitable, timeout)
    try:
        return greenback.await_(awaitable)
    except TimeoutError as exc:
        if timeout is None or isinstance(exc, BridgeTimeoutError):
            raise
        raise BridgeTimeoutError(
            f"{_name(fn)} did not finish within timeout={timeout!r}s; it was cancelled"
        ) from exc


def _name(fn: Callable[..., Any]) -> str:
    return getattr(fn, "__qualname__", None) or repr(fn)


def _call_site() -> str:
    """file:line of the innermost caller outside the bridge package."""
    frame = sys._getframe(1)
    while frame.f_back is not None and os.path.dirname(frame.f_code.co_filename) == _PACKAGE_DIR:
        frame = frame.f_back
    return f"{frame.f_code.co_filename}:{frame.f_lineno}"
