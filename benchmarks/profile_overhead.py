"""Benchmark: throughput cost of asyncify.profile on the bookshop under gunicorn.

The same bookshop (gthread, 2 workers x 8 threads, real PostgreSQL, the fake upstream with no
added latency) is served twice in one run: bare (the anchor) and with ``FlaskProfiler`` at
sample rate 1.0. A closed-loop load generator (keep-alive clients in threads) drives a mix of
DB, DB+HTTP and no-I/O endpoints. Rounds alternate bare/profiled to cancel drift; the median
of the rounds is compared.

Budget (docs/benchmarks.md): < 5% throughput loss at sample rate 1.0.

    python benchmarks/profile_overhead.py [--seconds 5] [--rounds 3] [--clients 16]
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import importlib.util
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_projects"
BOOKSHOP = SAMPLES / "bookshop"
PATHS = ["/api/books/1", "/api/books/2/price", "/api/books/?per_page=5", "/health"]

WRAPPER = """
import os
from bookshop.app import create_app as create_bookshop

def create_app():
    app = create_bookshop()
    if os.environ.get("PROFILE") == "1":
        from asyncify.profile import FlaskProfiler
        FlaskProfiler(app, directory=os.environ["ASYNCIFY_PROFILE_DIR"], sample_rate=1.0)
    return app
"""


def harness() -> Any:
    spec = importlib.util.spec_from_file_location("asyncify_sample_harness",
                                                  SAMPLES / "harness.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def drive(port: int, seconds: float, clients: int) -> float:
    """Requests per second over ``seconds`` from ``clients`` keep-alive connections."""
    stop = time.monotonic() + seconds
    counts = [0] * clients

    def client(index: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        i = index
        while time.monotonic() < stop:
            conn.request("GET", PATHS[i % len(PATHS)])
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                raise RuntimeError(f"{PATHS[i % len(PATHS)]}: HTTP {response.status}")
            counts[index] += 1
            i += 1
        conn.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / (time.monotonic() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=16)
    args = parser.parse_args()
    h = harness()
    dsn = h.admin_dsn()
    h.check_postgres(dsn)
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        work = Path(tmp)
        (work / "bench_bookshop.py").write_text(WRAPPER, encoding="utf-8")
        os.environ["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(work), os.environ.get("PYTHONPATH")]))
        url = stack.enter_context(h.temporary_database(
            dsn, "bookshop", BOOKSHOP / "schema.sql", BOOKSHOP / "seed.sql"))
        upstream = stack.enter_context(h.serve_upstream(log_dir=work))
        servers = {}
        for name, flag in (("bare", "0"), ("profiled", "1")):
            env = {"DATABASE_URL": url, "UPSTREAM_URL": upstream.url, "API_TOKEN": "t",
                   "PROFILE": flag, "ASYNCIFY_PROFILE_DIR": str(work / "profiles")}
            servers[name] = stack.enter_context(h.serve_app(
                h.AppSpec("wsgi", "bench_bookshop:create_app()"), project_dir=BOOKSHOP,
                env=env, ready_path="/health", log_dir=work, workers=2, threads=8))
        for server in servers.values():  # warm up pools and connections
            drive(server.port, 1.0, args.clients)
        results: dict[str, list[float]] = {"bare": [], "profiled": []}
        for _ in range(args.rounds):
            for name in ("bare", "profiled"):
                results[name].append(drive(servers[name].port, args.seconds, args.clients))
        bare = statistics.median(results["bare"])
        profiled = statistics.median(results["profiled"])
        lines = sum(1 for f in (work / "profiles").glob("*.jsonl")
                    for _ in f.open(encoding="utf-8"))
    print(f"clients={args.clients} rounds={args.rounds} x {args.seconds:g} s, mix: "
          + ", ".join(PATHS))
    print(f"bare (anchor):     {bare:8.0f} req/s   rounds: "
          + ", ".join(f"{r:.0f}" for r in results["bare"]))
    print(f"profiled (1.0):    {profiled:8.0f} req/s   rounds: "
          + ", ".join(f"{r:.0f}" for r in results["profiled"]))
    print(f"ratio profiled/bare: {profiled / bare:.3f}  "
          f"(throughput loss {max(0.0, 1 - profiled / bare):.1%}; budget < 5%)")
    print(f"profile lines written (flushed so far): {lines}")


if __name__ == "__main__":
    main()
