"""Serving the async apps: uvloop, accepting every waiting connection at once.

Under load, an async app's slowest requests are the first requests of new connections.
libuv (which uvloop runs on) accepts one connection per event-loop iteration (libuv PR
#3696), and an iteration of a saturated loop runs hundreds of callbacks: a burst of new
connections (a load balancer opening its pool, a client reconnecting, wrk starting) is
accepted over seconds while the connections already accepted are served in milliseconds.
``benchmarks/connection_burst.py`` measures it: one uvicorn worker, 500 connections opened at
once, the first request on a connection waited 5.3 s at the median (p99 8.6 s) and later
requests 0.23 s (p99 0.6 s); asyncio's own loop, which drains the accept queue on each
wake-up as this module does, was fair but about 10% slower per request.

:func:`fair_accept_loop` is a uvicorn loop factory — uvloop, with servers that accept, on each
wake-up of the listening socket, every connection waiting (up to the listen backlog), as
asyncio does. Everything else is uvloop's: the accepted sockets become uvloop transports
(``connect_accepted_socket``); TCP servers on a host/port or a given socket are served this
way (sockets bound as ``create_server`` binds them), TLS servers and servers created with
other options are left to uvloop::

    uvicorn gateway_async.main:app --workers 2 --loop asyncify.serving:fair_accept_loop

Without uvloop installed it returns asyncio's loop, which already accepts that way.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import socket
from collections.abc import Callable, Iterable
from typing import Any

log = logging.getLogger(__name__)

# accept() errors that mean "out of resources": stop accepting for a while (as asyncio does).
_RESOURCE_ERRORS = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})
_RETRY_AFTER = 1.0


class _DrainingServer(asyncio.AbstractServer):
    """The listening sockets of :meth:`FairAcceptLoop.create_server`; closes as
    ``asyncio.Server`` does (connections already accepted stay open: uvicorn closes them)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, socks: list[socket.socket],
                 protocol_factory: Callable[[], asyncio.BaseProtocol], backlog: int) -> None:
        self._loop = loop
        self._socks = socks
        self._protocol_factory = protocol_factory
        self._backlog = backlog
        self._closed = asyncio.Event()
        self._tasks: set[asyncio.Task[Any]] = set()
        for sock in socks:
            sock.setblocking(False)
            sock.listen(backlog)
            loop.add_reader(sock.fileno(), self._accept, sock)

    def _accept(self, sock: socket.socket) -> None:
        for _ in range(self._backlog):
            try:
                conn, _address = sock.accept()
            except (BlockingIOError, InterruptedError):
                return  # the queue is empty
            except ConnectionAbortedError:
                continue  # the client gave up before we got to it
            except OSError as error:
                if error.errno not in _RESOURCE_ERRORS:
                    raise
                log.error("accept() failed (%s): not accepting for %.0f s", error, _RETRY_AFTER)
                self._loop.remove_reader(sock.fileno())
                self._loop.call_later(_RETRY_AFTER, self._resume, sock)
                return
            conn.setblocking(False)
            if conn.family in (socket.AF_INET, socket.AF_INET6):
                conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            task = self._loop.create_task(
                self._loop.connect_accepted_socket(self._protocol_factory, conn))
            self._tasks.add(task)
            task.add_done_callback(self._connected)

    def _connected(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.debug("a connection closed before its transport was made: %s",
                      task.exception())

    def _resume(self, sock: socket.socket) -> None:
        if sock in self._socks:
            self._loop.add_reader(sock.fileno(), self._accept, sock)

    # asyncio.AbstractServer
    def close(self) -> None:
        socks, self._socks = self._socks, []
        for sock in socks:
            self._loop.remove_reader(sock.fileno())
            sock.close()
        self._closed.set()

    def get_loop(self) -> asyncio.AbstractEventLoop:
        return self._loop

    def is_serving(self) -> bool:
        return bool(self._socks)

    async def start_serving(self) -> None:
        return None  # serving from the start

    async def serve_forever(self) -> None:
        await self._closed.wait()

    async def wait_closed(self) -> None:
        await self._closed.wait()

    @property
    def sockets(self) -> tuple[socket.socket, ...]:
        return tuple(self._socks)


def _bind(host: str | Iterable[str] | None, port: int | None) -> list[socket.socket]:
    """Listening sockets for ``host``/``port`` as ``loop.create_server`` binds them: every
    address ``getaddrinfo`` gives (all interfaces for ``None``), ``SO_REUSEADDR``, IPv6
    sockets IPv6-only."""
    hosts: list[str | None] = [host] if host is None or isinstance(host, str) else list(host)
    infos = {info for name in hosts for info in socket.getaddrinfo(
        name, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)}
    socks: list[socket.socket] = []
    try:
        for family, kind, proto, _name, address in infos:
            sock = socket.socket(family, kind, proto)
            socks.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind(address)
    except OSError:
        for sock in socks:
            sock.close()
        raise
    return socks


def _loop_class() -> type[asyncio.AbstractEventLoop]:
    import uvloop

    class FairAcceptLoop(uvloop.Loop):
        """uvloop, whose servers on a given socket drain the accept queue on each wake-up."""

        async def create_server(  # type: ignore[override]
            self, protocol_factory: Callable[[], asyncio.BaseProtocol], host: Any = None,
            port: Any = None, *, sock: socket.socket | None = None, backlog: int = 100,
            ssl: Any = None, **kwargs: Any,
        ) -> asyncio.AbstractServer:
            plain = ssl is None and kwargs.get("start_serving", True) and not (
                set(kwargs) - {"start_serving", "reuse_address"})
            if not plain or (sock is not None and (host is not None or port is not None)):
                base: Any = super()
                return await base.create_server(  # type: ignore[no-any-return]
                    protocol_factory, host, port, sock=sock, backlog=backlog, ssl=ssl,
                    **kwargs)
            socks = [sock] if sock is not None else _bind(host, port)
            return _DrainingServer(self, socks, protocol_factory, backlog)

    return FairAcceptLoop


def fair_accept_loop() -> asyncio.AbstractEventLoop:
    """A new event loop for uvicorn's ``--loop``: uvloop whose servers accept every waiting
    connection at once (asyncio's loop when uvloop is not installed)."""
    try:
        cls = _loop_class()
    except ImportError:
        return asyncio.new_event_loop()
    return cls()
