"""Where the async apps' p99 at 500 connections comes from: a burst of new connections.

wrk opens all its connections at once. An async app saturated by the requests of the
connections it has already accepted accepts the others slowly: libuv (under uvloop) accepts
one connection per event-loop iteration (libuv PR #3696), and each iteration of a saturated
loop runs hundreds of callbacks. The first request of a connection accepted late waits for
the accept; later requests on an accepted connection do not.

This script serves one app (default: the hand-written gateway of ``benchmarks/ceiling``, one
uvicorn worker, 50 ms upstream) under uvloop and under asyncio's own loop, opens
``--connections`` connections at once from a separate process (an asyncio client that sends
requests back to back on each connection), and reports, per loop: requests served, the
latency percentiles of every request, of each connection's first request, and of the rest.

    python benchmarks/connection_burst.py                      # about 1 minute
    python benchmarks/connection_burst.py --app asgi:gateway_async.main:app \\
        --pythonpath /path/to/generated
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import migration_gain as gain

FAIR = "asyncify.serving:fair_accept_loop"
CLIENT = r"""
import asyncio, json, sys, time
port, connections, seconds = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
paths = json.loads(sys.argv[4])
done = []

async def connection(i, reader, writer):
    end, n = time.monotonic() + seconds, 0
    while time.monotonic() < end:
        start = time.monotonic()
        writer.write(f"GET {paths[(i + n) % len(paths)]} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                      if line.lower().startswith(b"content-length:"))
        await reader.readexactly(length)
        done.append((n == 0, time.monotonic() - start))
        n += 1
    writer.close()

async def main():
    # All connections first, as wrk opens them: the kernel completes the handshakes at once,
    # the server accepts them when its loop gets to it.
    opened = await asyncio.gather(*(asyncio.open_connection("127.0.0.1", port)
                                    for _ in range(connections)))
    await asyncio.gather(*(connection(i, *pair) for i, pair in enumerate(opened)))

try:
    import uvloop
except ImportError:
    asyncio.run(main())
else:
    uvloop.run(main())  # a client that keeps up, as wrk does
print(json.dumps(done))
"""


def _percentiles(values: list[float]) -> str:
    if not values:
        return "-"
    ordered = sorted(values)
    at = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    return f"p50 {at(0.5) * 1000:6.0f} ms  p99 {at(0.99) * 1000:6.0f} ms  (n={len(values)})"


def burst(port: int, connections: int, seconds: float, paths: list[str]) -> list[Any]:
    out = subprocess.run(
        [sys.executable, "-c", CLIENT, str(port), str(connections), str(seconds),
         json.dumps(paths)],
        capture_output=True, text=True, check=True, timeout=seconds + 120,
    ).stdout
    result: list[Any] = json.loads(out)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--app", default="asgi:gateway_fastapi:app")
    parser.add_argument("--pythonpath", default="", help="where --app lives, if not ceiling/")
    parser.add_argument("--connections", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=8)
    args = parser.parse_args()
    extra = [str(gain.CEILING)] + ([args.pythonpath] if args.pythonpath else [])
    os.environ["PYTHONPATH"] = os.pathsep.join(
        extra + ([os.environ["PYTHONPATH"]] if os.environ.get("PYTHONPATH") else []))
    h = gain.harness()
    paths = [path for path, _ in gain.MIXES["gateway"]]
    with tempfile.TemporaryDirectory(prefix="connection-burst-") as tmp, \
            contextlib.ExitStack() as stack:
        logs = Path(tmp)
        upstream = stack.enter_context(h.serve_upstream(log_dir=logs, delay_ms=gain.DELAY_MS,
                                                        workers=2))
        env = {"UPSTREAM_URL": upstream.url, "API_TOKEN": gain.API_TOKEN,
               "UPSTREAM_TIMEOUT": "5", "ASYNCIFY_HTTP_TRANSPORT": "aiohttp"}
        print(f"{args.app}, one uvicorn worker, {args.connections} connections opened at "
              f"once, {args.seconds:g} s", flush=True)
        for loop in ("uvloop", "asyncio", FAIR):
            os.environ["UVICORN_LOOP"] = loop  # uvicorn reads its options from UVICORN_*
            with h.serve_app(h.AppSpec.parse(args.app), project_dir=gain.SAMPLES / "gateway",
                             env=env, ready_path="/healthz", log_dir=logs) as server:
                port = int(server.url.rsplit(":", 1)[1])
                burst(port, 100, 2, paths)  # warm up: upstream connections, code paths
                done = burst(port, args.connections, args.seconds, paths)
            first = [took for is_first, took in done if is_first]
            rest = [took for is_first, took in done if not is_first]
            print(f"{loop}  {len(done) / args.seconds:6.0f} req/s\n"
                  f"  all requests       {_percentiles(first + rest)}\n"
                  f"  first on a conn.   {_percentiles(first)}\n"
                  f"  later on a conn.   {_percentiles(rest)}", flush=True)
        os.environ.pop("UVICORN_LOOP", None)


if __name__ == "__main__":
    main()
