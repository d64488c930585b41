"""Test mode: known blocking calls raise when they run on an event loop thread.

The same idea as blockbuster, kept to what a Flask + requests + psycopg2 service hits: sleeping,
blocking sockets (requests and urllib3 go through them), DNS, waiting on subprocesses, and
opening psycopg2 connections. Only module and class attributes written in Python can be patched
this way; blocking inside C code (libpq's queries) is what :class:`LoopMonitor` catches.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import importlib
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from types import FrameType
from typing import Any

from asyncify.bridge._errors import BlockingCallError

_SOCKET_METHODS = (
    "accept",
    "connect",
    "recv",
    "recv_into",
    "recvfrom",
    "recvfrom_into",
    "send",
    "sendall",
    "sendfile",
    "sendto",
)
_SSL_METHODS = ("do_handshake", "read", "recv", "recv_into", "send", "sendall", "write")

_lock = threading.Lock()
_depth = 0
_allowed: list[tuple[str, ...]] = []
_originals: list[tuple[object, str, Any]] = []


@contextlib.contextmanager
def forbid_blocking(*, allow: Iterable[str] = ()) -> Iterator[None]:
    """Make blocking calls raise :class:`BlockingCallError` on event loop threads, while active.

    Covers ``time.sleep``, blocking ``socket``/``ssl`` socket I/O, ``socket.getaddrinfo`` and
    ``gethostbyname``, ``subprocess.Popen.wait``/``communicate`` and ``psycopg2.connect``.
    Non-blocking sockets (asyncio's own) and other threads are unaffected. Meant for tests,
    e.g. an autouse fixture: ``with forbid_blocking(): yield``. Nesting is allowed.

    :param allow: module-name prefixes (e.g. ``"myapp.legacy"``) whose calls may block; a call
        is allowed when any frame on its stack belongs to one of them.
    :raises BlockingCallError: (from the patched functions) a blocking call ran on a loop thread.
    """
    global _depth
    prefixes = tuple(allow)
    with _lock:
        if _depth == 0:
            _patch()
        _depth += 1
        _allowed.append(prefixes)
    try:
        yield
    finally:
        with _lock:
            _allowed.remove(prefixes)
            _depth -= 1
            if _depth == 0:
                _unpatch()


def _patch() -> None:
    targets: list[tuple[object, str, Callable[..., Any]]] = [
        (time, "sleep", _guard_call),
        (socket, "getaddrinfo", _guard_call),
        (socket, "gethostbyname", _guard_call),
        (subprocess.Popen, "wait", _guard_call),
        (subprocess.Popen, "communicate", _guard_call),
    ]
    targets += [(socket.socket, name, _guard_socket) for name in _SOCKET_METHODS]
    targets += [(ssl.SSLSocket, name, _guard_socket) for name in _SSL_METHODS]
    with contextlib.suppress(ImportError):
        targets.append((importlib.import_module("psycopg2"), "connect", _guard_call))
    for owner, name, guard in targets:
        original = getattr(owner, name)
        qualname = f"{getattr(owner, '__name__', owner)}.{name}"
        _originals.append((owner, name, original))
        setattr(owner, name, guard(original, qualname))


def _unpatch() -> None:
    while _originals:
        owner, name, original = _originals.pop()
        setattr(owner, name, original)


def _guard_call(original: Callable[..., Any], qualname: str) -> Callable[..., Any]:
    @functools.wraps(original)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        if asyncio._get_running_loop() is not None:
            _refuse(qualname)
        return original(*args, **kwargs)

    return guarded


def _guard_socket(original: Callable[..., Any], qualname: str) -> Callable[..., Any]:
    @functools.wraps(original)
    def guarded(self: socket.socket, *args: Any, **kwargs: Any) -> Any:
        if asyncio._get_running_loop() is not None and self.gettimeout() != 0.0:
            _refuse(qualname)
        return original(self, *args, **kwargs)

    return guarded


def _refuse(qualname: str) -> None:
    frame = sys._getframe(2)
    site = f"{frame.f_code.co_filename}:{frame.f_lineno}"
    prefixes = tuple(prefix for group in _allowed for prefix in group)
    if prefixes:
        caller: FrameType | None = frame
        while caller is not None:
            module = caller.f_globals.get("__name__", "")
            if module.startswith(prefixes):
                return
            caller = caller.f_back
    raise BlockingCallError(
        f"blocking call {qualname}() on the event loop thread at {site}; use the async "
        f"equivalent, or run it in a worker thread with run_sync()/to_async()"
    )
