"""The aiohttp transport behind the shared client answers like httpx's own (httpcore).

Each scenario runs once per transport against the same real servers on loopback; results,
including the exact exception type, must be equal, because the requests → httpx rewrites and
``compat.as_legacy`` were written against httpcore's exceptions.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections.abc import Awaitable, Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from asyncify.compat import new_client

Scenario = Callable[[httpx.AsyncClient, str], Awaitable[Any]]


@pytest.fixture(scope="module")
def hangup_url() -> Iterator[str]:
    """A server that accepts each connection, reads the request and closes without answering."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            with conn:
                conn.recv(65536)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}/"
    finally:
        stop.set()
        thread.join(timeout=5)
        server.close()


class _Headers(BaseHTTPRequestHandler):
    """``/set`` sets a cookie; any other path answers with the request line and headers."""

    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        body = json.dumps({"path": self.path,
                           "headers": [[k.lower(), v] for k, v in self.headers.items()]}).encode()
        self.send_response(200)
        if self.path == "/set":
            self.send_header("Set-Cookie", "sid=abc; Path=/")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def headers_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Headers)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


async def _echo(client: httpx.AsyncClient, base: str) -> Any:
    r = await client.post(base + "/echo?a=1&b=%2F", json={"k": [1, "é"]},
                          headers={"X-Trace": "t1"}, timeout=5)
    return r.status_code, r.headers["content-type"], r.json()


async def _redirects(client: httpx.AsyncClient, base: str) -> Any:
    followed = await client.get(base + "/redirect", follow_redirects=True, timeout=5)
    kept = await client.get(base + "/redirect", timeout=5)
    return (followed.status_code, str(followed.url), len(followed.history),
            kept.status_code, kept.headers["location"])


async def _statuses(client: httpx.AsyncClient, base: str) -> Any:
    out = []
    for code in (201, 404, 503):
        r = await client.get(f"{base}/status/{code}", timeout=5)
        out.append((r.status_code, r.reason_phrase, r.is_error, r.content))
    return out


async def _stream(client: httpx.AsyncClient, base: str) -> Any:
    async with client.stream("GET", base + "/ndjson", timeout=5) as r:
        return r.status_code, [line async for line in r.aiter_lines()]


async def _refused(client: httpx.AsyncClient, base: str) -> Any:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    try:
        await client.get(f"http://127.0.0.1:{port}/", timeout=2)
    except httpx.HTTPError as error:
        return type(error)


async def _read_timeout(client: httpx.AsyncClient, base: str) -> Any:
    try:
        await client.get(base + "/slow?seconds=1", timeout=httpx.Timeout(2, read=0.2))
    except httpx.HTTPError as error:
        return type(error)


async def _concurrent(client: httpx.AsyncClient, base: str) -> Any:
    # More calls at once than httpx's default cap (100), as requests would make them.
    async def one(i: int) -> Any:
        return (await client.get(f"{base}/echo?i={i}", timeout=10)).json()["query"]

    return await asyncio.gather(*(one(i) for i in range(150)))


SCENARIOS: dict[str, Scenario] = {
    "echo": _echo,
    "redirects": _redirects,
    "statuses": _statuses,
    "stream": _stream,
    "refused": _refused,
    "read timeout": _read_timeout,
    "150 at once": _concurrent,
}


def _run(transport: str, scenario: Scenario, base: str) -> Any:
    async def main() -> Any:
        async with new_client(transport) as client:
            return await scenario(client, base)

    return asyncio.run(main())


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_same_as_httpcore(base_url: str, name: str) -> None:
    expected = _run("httpcore", SCENARIOS[name], base_url)
    assert expected is not None
    assert _run("aiohttp", SCENARIOS[name], base_url) == expected


def test_server_hangup_is_a_protocol_error(hangup_url: str) -> None:
    async def hangup(client: httpx.AsyncClient, url: str) -> Any:
        try:
            await client.get(url, timeout=5)
        except httpx.HTTPError as error:
            return type(error)

    assert _run("httpcore", hangup, hangup_url) is httpx.RemoteProtocolError
    assert _run("aiohttp", hangup, hangup_url) is httpx.RemoteProtocolError


def test_headers_and_cookies_sent_as_httpx_sends_them(headers_url: str) -> None:
    """The same request line and headers on the wire (aiohttp adds none of its own), and a
    cookie the server set is sent back once, by httpx's jar only."""

    async def wire(client: httpx.AsyncClient, base: str) -> Any:
        await client.get(base + "/set", timeout=5)
        r = await client.get(base + "/x?q=a%20b&q=%2F", headers={"X-Trace": "t1"}, timeout=5)
        return r.json()

    expected = _run("httpcore", wire, headers_url)
    assert ["cookie", "sid=abc"] in expected["headers"]
    assert _run("aiohttp", wire, headers_url) == expected


def test_unknown_transport_names_the_fix() -> None:
    with pytest.raises(ValueError, match="use 'httpcore' or 'aiohttp'"):
        new_client("curl")
