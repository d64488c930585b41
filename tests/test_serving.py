"""``asyncify.serving.fair_accept_loop``: uvloop whose servers drain the accept queue on each
wake-up — on the loop directly, and as uvicorn's ``--loop`` in real servers on loopback."""

from __future__ import annotations

import asyncio
import os
import socket
import threading
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest
import uvloop

from asyncify.serving import fair_accept_loop
from asyncify.verify import _servers

APP = '''
async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    body = f"{scope['path']} from {__import__('os').getpid()}".encode()
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/plain"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
'''


class Count(asyncio.Protocol):
    made: ClassVar[list[asyncio.BaseTransport]] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        Count.made.append(transport)


def test_one_wake_up_accepts_every_waiting_connection() -> None:
    loop = fair_accept_loop()
    assert isinstance(loop, uvloop.Loop)
    Count.made = []
    try:
        listener = socket.create_server(("127.0.0.1", 0), backlog=256)
        server: Any = loop.run_until_complete(loop.create_server(Count, sock=listener, backlog=256))
        port = listener.getsockname()[1]
        clients = [socket.create_connection(("127.0.0.1", port)) for _ in range(100)]
        # The handshakes are complete: all 100 wait in the kernel's accept queue. One poll
        # accepts them all; their transports exist after the tasks that make them run.
        for _ in range(3):
            loop.run_until_complete(asyncio.sleep(0))
        assert len(Count.made) == 100
        assert server.is_serving() and server.sockets == (listener,)
        server.close()
        loop.run_until_complete(server.wait_closed())
        assert not server.is_serving() and server.sockets == () and listener.fileno() == -1
        for client in clients:
            client.close()
        for transport in Count.made:
            transport.close()
    finally:
        loop.run_until_complete(asyncio.sleep(0))
        loop.close()


def test_host_and_port_are_bound_as_create_server_binds_them() -> None:
    loop = fair_accept_loop()
    Count.made = []
    try:
        server = loop.run_until_complete(loop.create_server(Count, "127.0.0.1", 0))
        (sock,) = server.sockets
        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR)
        with socket.create_connection(sock.getsockname()[:2]):
            loop.run_until_complete(asyncio.sleep(0.05))
        assert len(Count.made) == 1
        # TLS (or any option this module does not reproduce) is left to uvloop itself.
        import ssl

        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        other = loop.run_until_complete(
            loop.create_server(Count, "127.0.0.1", 0, ssl=context))
        assert type(other).__module__.startswith("uvloop")
        for each in (server, other):
            each.close()
        for transport in Count.made:
            transport.close()
    finally:
        loop.run_until_complete(asyncio.sleep(0))
        loop.close()


@pytest.mark.parametrize("workers", [1, 2])
def test_uvicorn_serves_a_burst_of_connections_with_it(tmp_path: Path, workers: int) -> None:
    """One worker (uvicorn binds host/port through the loop) and two (the supervisor's
    socket): 200 connections opened at once, each answered, then a clean shutdown."""
    (tmp_path / "burst_app.py").write_text(APP, encoding="utf-8")
    port = _servers.free_port()
    argv = _servers.AppSpec.parse("asgi:burst_app:app").argv(port, workers=workers)
    argv += ["--loop", "asyncify.serving:fair_accept_loop"]
    env = {**os.environ, "PYTHONPATH": _servers.pythonpath(tmp_path)}
    with _servers.Server("burst", argv, port=port, cwd=tmp_path, env=env,
                         log_dir=tmp_path) as server:
        server.wait_ready("/ready")
        sockets = [socket.create_connection(("127.0.0.1", port)) for _ in range(200)]
        answers: list[bytes] = []
        lock = threading.Lock()

        def ask(i: int, sock: socket.socket) -> None:
            sock.sendall(f"GET /c{i} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
            data = b""
            while chunk := sock.recv(65536):
                data += chunk
            with lock:
                answers.append(data)

        threads = [threading.Thread(target=ask, args=pair) for pair in enumerate(sockets)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert len(answers) == 200
        assert all(a.startswith(b"HTTP/1.1 200") for a in answers)
        assert {a.split(b"\r\n\r\n", 1)[1].split(b" ")[0] for a in answers} == {
            f"/c{i}".encode() for i in range(200)}
        assert httpx.get(f"{server.url}/after").text.startswith("/after from ")
        for sock in sockets:
            sock.close()
    log = server.log_path.read_text(encoding="utf-8")
    assert "Traceback" not in log and "Error" not in log, log
