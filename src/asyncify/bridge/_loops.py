"""Which event loop async code called from sync code runs on.

The *home loop* is the application's loop, captured once at startup (the FastAPI lifespan), so
that sync code reaches the asyncpg pools and httpx clients bound to it. A process without one
(a CLI, a worker, a test) gets one shared background loop thread, started on first use and
reused by every call: never a new loop per call.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from typing import Final

from asyncify.bridge._errors import BridgeError

_home: asyncio.AbstractEventLoop | None = None
_home_lock = threading.Lock()

_BACKGROUND_THREAD_NAME: Final = "asyncify-bridge-loop"


def capture_home_loop(loop: asyncio.AbstractEventLoop | None = None) -> asyncio.AbstractEventLoop:
    """Make *loop* (by default the running loop) the one sync code's async calls run on.

    :raises BridgeError: no loop is given or running, or another live loop is already captured
        (release it first with :func:`release_home_loop`).
    """
    if loop is None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            raise BridgeError(
                "capture_home_loop() needs a running event loop; call it from async code "
                "(e.g. the app's lifespan) or pass loop="
            ) from None
    global _home
    with _home_lock:
        if _home is not None and _home is not loop and not _home.is_closed():
            raise BridgeError(
                f"a home loop is already captured ({_home!r}); call release_home_loop() "
                f"before capturing {loop!r}"
            )
        _home = loop
    return loop


def release_home_loop() -> None:
    """Forget the home loop; later async calls from sync code use the background loop."""
    global _home
    with _home_lock:
        _home = None


def home_loop_or_none() -> asyncio.AbstractEventLoop | None:
    """The captured home loop if it is still open, else ``None``."""
    loop = _home
    if loop is None or loop.is_closed():
        return None
    return loop


class _BackgroundLoop:
    """One event loop in a daemon thread, started on first use, shared by every caller."""

    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None
        self.thread: threading.Thread | None = None
        self.lock = threading.Lock()

    def get(self) -> asyncio.AbstractEventLoop:
        loop = self.loop
        if loop is not None:
            return loop
        with self.lock:
            if self.loop is None:
                loop = asyncio.new_event_loop()
                ready = threading.Event()
                thread = threading.Thread(
                    target=self._run, args=(loop, ready), name=_BACKGROUND_THREAD_NAME, daemon=True
                )
                thread.start()
                ready.wait()
                self.loop, self.thread = loop, thread
            return self.loop

    @staticmethod
    def _run(loop: asyncio.AbstractEventLoop, ready: threading.Event) -> None:
        asyncio.set_event_loop(loop)
        loop.call_soon(ready.set)
        try:
            loop.run_forever()
        finally:
            try:
                tasks = asyncio.all_tasks(loop)
                for task in tasks:
                    task.cancel()
                loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
                loop.run_until_complete(loop.shutdown_asyncgens())
                loop.run_until_complete(loop.shutdown_default_executor())
            finally:
                asyncio.set_event_loop(None)
                loop.close()

    def stop(self) -> threading.Thread | None:
        """Stop the loop without waiting; return its thread to join."""
        with self.lock:
            loop, thread = self.loop, self.thread
            self.loop = self.thread = None
        if loop is not None:
            with contextlib.suppress(RuntimeError):  # already closed
                loop.call_soon_threadsafe(loop.stop)
        return thread

    def is_current_thread(self) -> bool:
        thread = self.thread
        return thread is not None and thread is threading.current_thread()


background = _BackgroundLoop()


def reset_after_fork() -> None:
    """Forget the parent's loops: their threads do not exist in a forked child."""
    global _home, _home_lock
    _home = None
    _home_lock = threading.Lock()
    background.loop = background.thread = None
    background.lock = threading.Lock()
