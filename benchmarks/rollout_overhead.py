"""Benchmark: what the rollout router costs per request, in one run.

Four apps served by uvicorn (1 worker each, 127.0.0.1), driven by a closed-loop load generator
(keep-alive ``http.client`` connections in threads):

- async pair: a bare FastAPI route vs the same route behind ``RolloutRouter`` (flag at stage
  ``async``, metrics, guardrail and live stats on). Budget: added latency <= 5 % of the bare
  route.
- legacy pair: a FastAPI app whose only route is the a2wsgi mount of a Flask app vs the same
  app behind the router, on an unmigrated path (the pass-through). Budget: throughput >= 95 %
  of the bare mount.

Short rounds alternate bare/routed to cancel drift. On a shared machine wall-clock ratios
swing by tens of percent from round to round, so the verdict uses the uvicorn server's CPU
time per request (from /proc, summed over the rounds), which waiting for a busy core does not
inflate. A third view calls the same ASGI apps in process (no network, no uvicorn).

    python benchmarks/rollout_overhead.py [--seconds 1] [--rounds 10] [--clients 4]
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from asyncify.verify import HOST, AppSpec, start_app

APP = '''
import os
from a2wsgi import WSGIMiddleware
from fastapi import FastAPI
from flask import Flask, jsonify

from asyncify.rollout import FileStore, Flag, Rollout, RolloutRouter, Stage

legacy = Flask("legacy")


@legacy.get("/other/<int:item_id>")
def other(item_id):
    return jsonify(id=item_id, name="legacy")


def create():
    mode = os.environ["MODE"]
    app = FastAPI()

    @app.get("/items/{item_id}")
    async def item(item_id: int):
        return {"id": item_id, "name": "async"}

    wsgi = WSGIMiddleware(legacy)
    if mode.startswith("legacy"):
        app.router.routes.clear()
    app.mount("/", wsgi)
    if mode.endswith("-router"):
        store = FileStore(os.environ["FLAGS"])
        store.update(lambda f: f.with_flag(Flag("GET /items/{item_id}", Stage.async_)),
                     reason="benchmark")
        migrated = [r for r in app.router.routes if getattr(r, "path", "") == "/items/{item_id}"]
        app.add_middleware(RolloutRouter, rollout=Rollout(store=store), legacy_app=wsgi,
                           routes=migrated)
    return app
'''

PAIRS = {
    "async route": ("async-bare", "async-router", "/items/7"),
    "legacy pass-through": ("legacy-bare", "legacy-router", "/other/7"),
}


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` so far (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def drive(port: int, path: str, seconds: float, clients: int) -> tuple[float, float, int]:
    """(requests per second, mean latency in ms, requests) over ``seconds``."""
    stop = time.monotonic() + seconds
    counts = [0] * clients
    spent = [0.0] * clients
    failures: list[str] = []

    def client(i: int) -> None:
        conn = http.client.HTTPConnection(HOST, port, timeout=10)
        try:
            while time.monotonic() < stop:
                started = time.perf_counter()
                conn.request("GET", path, headers={"X-User-Id": f"user-{i}"})
                response = conn.getresponse()
                response.read()
                spent[i] += time.perf_counter() - started
                if response.status != 200:
                    failures.append(f"{path}: HTTP {response.status}")
                counts[i] += 1
        finally:
            conn.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:
        raise SystemExit(f"failed requests: {failures[:3]}")
    total = sum(counts)
    return total / (time.monotonic() - started), sum(spent) / total * 1000, total


SCOPE = {
    "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
    "scheme": "http", "root_path": "", "query_string": b"", "server": (HOST, 80),
    "client": (HOST, 1), "headers": [(b"host", b"bench"), (b"x-user-id", b"user-1")],
}  # fmt: skip


async def _per_request_us(app: Any, path: str, n: int) -> float:
    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start" and message["status"] != 200:
            raise SystemExit(f"{path}: HTTP {message['status']}")

    # CPU time of the whole process (a2wsgi's worker threads included), not wall time:
    # on a shared machine, waiting for a core would swamp a difference of microseconds.
    started = time.process_time()
    for _ in range(n):
        await app({**SCOPE, "path": path, "raw_path": path.encode()}, receive, send)
    return (time.process_time() - started) / n * 1e6


async def _measure(apps: list[Any], path: str, n: int, repeats: int) -> tuple[float, float]:
    times: list[list[float]] = [[], []]
    for app in apps:
        await _per_request_us(app, path, n // 4)  # warm up
    for _ in range(repeats):
        for i, app in enumerate(apps):
            times[i].append(await _per_request_us(app, path, n))
    return statistics.median(times[0]), statistics.median(times[1])


def in_process(work: Path, repeats: int) -> dict[str, tuple[float, float]]:
    """Per pair, (bare, routed) CPU microseconds per request through the ASGI app itself,
    no network: the median over ``repeats`` interleaved runs."""
    namespace: dict[str, Any] = {}
    exec(compile(APP, "bench_app", "exec"), namespace)
    out = {}
    for label, (bare, routed, path) in PAIRS.items():
        apps = []
        for mode in (bare, routed):
            os.environ.update(MODE=mode, FLAGS=str(work / f"inproc-{mode}.json"))
            apps.append(namespace["create"]())
        n = 2000 if label == "async route" else 300
        out[label] = asyncio.run(_measure(apps, path, n, repeats))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="Per round and app.")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=7, help="In-process repeats.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "bench_app.py").write_text(APP)
        servers = {}
        try:
            for name in (m for pair in PAIRS.values() for m in pair[:2]):
                env = {"MODE": name, "FLAGS": str(work / f"{name}.json")}
                servers[name] = start_app(AppSpec("asgi", "bench_app:create()"), app_dir=work,
                                          env=env, log_dir=work, name=name)
            for name, server in servers.items():
                server.wait_ready("/items/1" if name.startswith("async") else "/other/1")
            print(f"{'pair':<22}{'round':>6}{'bare rps':>10}{'routed rps':>12}"
                  f"{'bare ms':>9}{'routed ms':>11}")
            results: dict[str, list[tuple[float, float]]] = {k: [] for k in PAIRS}
            # server CPU (seconds, requests) per app: robust to waiting for a busy core
            cpu = {name: [0.0, 0] for name in servers}

            def measured(name: str, path: str) -> tuple[float, float]:
                pid = servers[name].pid  # uvicorn without --workers: one process
                before = cpu_seconds(pid)
                rps, ms, requests = drive(servers[name].port, path, args.seconds, args.clients)
                cpu[name][0] += cpu_seconds(pid) - before
                cpu[name][1] += requests
                return rps, ms

            for label, (bare, routed, path) in PAIRS.items():
                drive(servers[bare].port, path, 0.5, args.clients)  # warm up both
                drive(servers[routed].port, path, 0.5, args.clients)
                for r in range(args.rounds):
                    b_rps, b_ms = measured(bare, path)
                    r_rps, r_ms = measured(routed, path)
                    results[label].append((r_rps / b_rps, (r_ms - b_ms) / b_ms))
                    print(f"{label:<22}{r + 1:>6}{b_rps:>10.0f}{r_rps:>12.0f}{b_ms:>9.3f}"
                          f"{r_ms:>11.3f}")
        finally:
            for server in servers.values():
                server.stop()
    print()
    async_wall = statistics.median(a for _, a in results["async route"])
    legacy_wall = statistics.median(t for t, _ in results["legacy pass-through"])
    print("over HTTP, wall clock (median over rounds; noisy on a shared machine):")
    print(f"  async route: added latency {async_wall:+.1%} of the bare FastAPI route")
    print(f"  legacy pass-through: {legacy_wall:.1%} of the bare a2wsgi mount's throughput")
    print()
    print("in process (ASGI call, no network), CPU time per request, median of repeats:")
    with tempfile.TemporaryDirectory() as tmp:
        local = in_process(Path(tmp), args.repeats)
    bare_us, routed_us = local["async route"]
    print(f"  async route: bare {bare_us:.1f} us, routed {routed_us:.1f} us -> added "
          f"{routed_us - bare_us:.1f} us = {(routed_us - bare_us) / bare_us:+.1%}")
    bare_us, routed_us = local["legacy pass-through"]
    print(f"  legacy pass-through: bare mount {bare_us:.1f} us, routed {routed_us:.1f} us -> "
          f"{bare_us / routed_us:.1%} of the bare mount's throughput")
    print()
    # The verdict uses the uvicorn server's CPU per request: what a request costs the
    # server, undisturbed by waiting for a core that other processes hold.
    per = {name: used / max(n, 1) * 1e6 for name, (used, n) in cpu.items()}
    added = (per["async-router"] - per["async-bare"]) / per["async-bare"]
    capacity = per["legacy-bare"] / per["legacy-router"]
    print("uvicorn server CPU per request (sum over rounds, from /proc) -> verdict:")
    print(f"  async route: bare {per['async-bare']:.0f} us, routed {per['async-router']:.0f} us"
          f" -> added {added:+.1%} (budget <= +5%): {'OK' if added <= 0.05 else 'OVER'}")
    print(f"  legacy pass-through: bare mount {per['legacy-bare']:.0f} us, routed "
          f"{per['legacy-router']:.0f} us -> {capacity:.1%} of the bare mount's capacity "
          f"(budget >= 95%): {'OK' if capacity >= 0.95 else 'UNDER'}")
    sys.exit(0 if added <= 0.05 and capacity >= 0.95 else 1)


if __name__ == "__main__":
    main()
