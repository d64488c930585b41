"""Wiring the bridge into a combined app: FastAPI lifespan, a2wsgi mount, Flask async views."""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
import time
import weakref
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from asyncify.bridge import _lanes, _loops
from asyncify.bridge._errors import BridgeError
from asyncify.bridge._loops import capture_home_loop, release_home_loop
from asyncify.bridge._monitor import LoopMonitor, logger
from asyncify.bridge._to_sync import to_sync

if TYPE_CHECKING:
    from a2wsgi import WSGIMiddleware
    from a2wsgi.wsgi_typing import WSGIApp

_wsgi_executors: weakref.WeakSet[ThreadPoolExecutor] = weakref.WeakSet()


@contextlib.asynccontextmanager
async def home_loop(
    *, monitor: LoopMonitor | None = None, shutdown_grace: float | None = 5.0
) -> AsyncIterator[asyncio.AbstractEventLoop]:
    """Capture the running loop as the home loop for the duration of the block.

    Enter it in the application's lifespan, before creating loop-bound resources (asyncpg
    pools, httpx clients) that sync code will use through :func:`run_async`. On exit it stops
    *monitor*, shuts the bridge's threads down (see :func:`aclose`) and releases the loop.

    :raises BridgeError: another live loop is already the home loop.
    """
    loop = capture_home_loop()
    try:
        if monitor is not None:
            monitor.start(loop)
        yield loop
    finally:
        try:
            if monitor is not None:
                monitor.stop()
            await aclose(shutdown_grace)
        finally:
            release_home_loop()


@contextlib.asynccontextmanager
async def lifespan(app: object) -> AsyncIterator[None]:
    """A ready-made lifespan for FastAPI/Starlette: ``FastAPI(lifespan=bridge.lifespan)``.

    To combine it with your own startup code, use ``async with home_loop(): ...`` instead.

    :raises BridgeError: another live loop is already the home loop.
    """
    async with home_loop():
        yield


def mount_wsgi(app: WSGIApp, *, workers: int = 10, send_queue_size: int = 10) -> WSGIMiddleware:
    """Wrap a legacy WSGI app (Flask) with a2wsgi for mounting in FastAPI/Starlette.

    a2wsgi streams bodies with bounded memory and runs the app on its own pool of *workers*
    threads (10 beat 40 on 2 cores). Views calling :func:`run_async` reach the home loop. The
    pool's threads are stopped by :func:`shutdown`/:func:`aclose` (a2wsgi itself never stops
    them).

    :raises BridgeError: a2wsgi is not installed.
    """
    try:
        from a2wsgi import WSGIMiddleware
    except ImportError:
        raise BridgeError("mount_wsgi() needs a2wsgi: pip install 'a2wsgi>=1.10'") from None
    middleware = WSGIMiddleware(app, workers=workers, send_queue_size=send_queue_size)
    _wsgi_executors.add(middleware.executor)
    return middleware


def bridge_flask_async_views(app: Any) -> None:
    """Run a Flask app's ``async def`` views on the home loop, through :func:`to_sync`.

    Flask's default (asgiref) starts a new event loop per request, where pools and clients
    bound to the application's loop fail with "attached to a different loop".
    """
    app.async_to_sync = lambda func: to_sync(func)


def shutdown(grace: float | None = 5.0) -> list[threading.Thread]:
    """Stop the bridge's threads and join them for up to *grace* seconds in total.

    Stops every lane's workers (queued calls fail with :class:`BridgeClosedError`; running
    calls finish first), the background loop, and the WSGI pools made by :func:`mount_wsgi`.
    Lanes and the background loop start again on next use. From async code, prefer
    :func:`aclose`, which does not block the loop.

    :returns: the threads still alive at the deadline (abandoned calls that never returned).
    """
    threads = _lanes.close_lanes()
    loop_thread = _loops.background.stop()
    if loop_thread is not None:
        threads.append(loop_thread)
    for executor in list(_wsgi_executors):
        executor.shutdown(wait=False, cancel_futures=True)
        threads.extend(executor._threads)
    deadline = None if grace is None else time.monotonic() + grace
    for thread in threads:
        if thread is not threading.current_thread():
            thread.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
    alive = [thread for thread in threads if thread.is_alive()]
    if alive:
        logger.warning(
            "bridge shutdown: %d thread(s) still running after %ss: %s",
            len(alive),
            grace,
            ", ".join(thread.name for thread in alive),
        )
    return alive


async def aclose(grace: float | None = 5.0) -> list[threading.Thread]:
    """Like :func:`shutdown`, but waits without blocking the running event loop.

    :returns: the threads still alive at the deadline.
    """
    loop = asyncio.get_running_loop()
    finished = asyncio.Event()
    alive: list[threading.Thread] = []

    def stop_and_join() -> None:
        try:
            alive.extend(shutdown(grace))
        finally:
            loop.call_soon_threadsafe(finished.set)

    helper = threading.Thread(target=stop_and_join, name="asyncify-bridge-shutdown")
    helper.start()
    await finished.wait()
    helper.join()
    return alive


def _reset_after_fork() -> None:
    _lanes.reset_after_fork()
    _loops.reset_after_fork()
    _wsgi_executors.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)
