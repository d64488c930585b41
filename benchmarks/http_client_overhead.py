"""HTTP client overhead: what one outbound call costs the migrated app's process.

A trivial ASGI server (uvicorn, one worker, 127.0.0.1, started like every other server here:
``asyncify.verify.start_app``) answers every request at once; one
client process sends N GET requests at concurrency C through:

- ``httpx/httpcore``: ``httpx.AsyncClient`` with its own pool (cap raised to C);
- ``httpx/aiohttp``: ``httpx.AsyncClient(transport=asyncify.compat.AiohttpTransport())``, the
  shared client's transport when ``ASYNCIFY_HTTP_TRANSPORT=aiohttp``;
- ``aiohttp`` (anchor): a bare ``aiohttp.ClientSession``.

It prints requests/s and the client's CPU microseconds per request (``time.process_time``),
and each as a ratio to the anchor measured in the same run.

    python benchmarks/http_client_overhead.py            # about 30 s
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from asyncify.verify import AppSpec, start_app

SERVER = """
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": b'{"ok": true}'})
"""


async def _measure(kind: str, url: str, n: int, concurrency: int) -> tuple[float, float]:
    import aiohttp
    import httpx

    from asyncify.compat import AiohttpTransport

    close: Callable[[], Awaitable[Any]]
    if kind == "aiohttp":
        session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency))

        async def get() -> None:
            async with session.get(url) as r:
                await r.json()

        close = session.close
    else:
        if kind == "httpx/aiohttp":
            client = httpx.AsyncClient(transport=AiohttpTransport())
        else:
            limits = httpx.Limits(max_connections=concurrency,
                                  max_keepalive_connections=concurrency)
            client = httpx.AsyncClient(limits=limits)

        async def get() -> None:
            (await client.get(url)).json()

        close = client.aclose
    gate = asyncio.Semaphore(concurrency)

    async def one() -> None:
        async with gate:
            await get()

    await asyncio.gather(*(one() for _ in range(min(n, 200))))  # warm the pool
    started, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(one() for _ in range(n)))
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    await close()
    return n / wall, cpu / n * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", default="10,100")
    args = parser.parse_args()
    import uvloop

    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "trivial.py").write_text(SERVER)
        with start_app(AppSpec("asgi", "trivial:app"), app_dir=Path(tmp), env={},
                       log_dir=Path(tmp), workers=1) as server:
            server.wait_ready("/")
            url = server.url + "/"
            print(f"{'client':14} {'conc':>5} {'req/s':>8} {'CPU us/req':>11} "
                  f"{'req/s vs anchor':>16} {'CPU vs anchor':>14}")
            for concurrency in (int(c) for c in args.concurrency.split(",")):
                rows = {kind: uvloop.run(_measure(kind, url, args.requests, concurrency))
                        for kind in ("aiohttp", "httpx/aiohttp", "httpx/httpcore")}
                anchor_rps, anchor_cpu = rows["aiohttp"]
                for kind, (rps, cpu) in rows.items():
                    print(f"{kind:14} {concurrency:>5} {rps:>8.0f} {cpu:>11.0f} "
                          f"{rps / anchor_rps:>15.2f}x {cpu / anchor_cpu:>13.2f}x", flush=True)


if __name__ == "__main__":
    main()
