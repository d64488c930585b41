"""CPU per request, in process: the generated (combined) apps against the hand-written
ceiling apps, request by request, with no load generator sharing the machine.

The migration-gain benchmark measures throughput under wrk, where the load generator, the
upstream and PostgreSQL share the two cores with the app; this one isolates the app's own
work. Each app runs in its own subprocess and is called directly as an ASGI app (its
lifespan entered once), one request at a time, against the real upstream service (no
delay: its latency is not CPU) and a real PostgreSQL database; the CPU time of the app's
process (``time.process_time``: every thread) is divided by the requests served. Each
path is measured ``--rounds`` times per app, alternating, and the lowest figure kept (CPU
time on a shared machine only goes up with noise).

With ``--phases`` the generated app's legacy request context (``asyncify.compat
.LegacyContext``: the lazily built Flask request context, the legacy hooks) is also timed
piece by piece with ``perf_counter``, for its share of each request (``environ`` is counted
inside ``_before`` too when a hook reads the request).

    python benchmarks/request_cpu.py                 # about 2 minutes
    python benchmarks/request_cpu.py --projects gateway --requests 3000 --phases
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Any

from migration_gain import API_TOKEN, CEILING, MIXES, SAMPLES, generate, harness

# Runs in the app's subprocess: argv = project, app spec, requests, warm-up, phases, paths.
CHILD = textwrap.dedent('''
    import asyncio, importlib, json, sys, time
    project, spec, n, warm, phases = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5] == "1"
    paths = json.loads(sys.argv[6])
    module, _, attr = spec.partition(":")
    app = getattr(importlib.import_module(module), attr)
    timings = {}
    if phases:
        from asyncify.compat import _flask_context, _legacy
        clock = time.perf_counter_ns
        for module, name in ((_flask_context, "environ"), (_legacy, "_before"), (_legacy, "_after")):
            def timed(*args, _name=name, _f=getattr(module, name)):
                started = clock()
                try:
                    return _f(*args)
                finally:
                    timings[_name] = timings.get(_name, 0) + clock() - started
            setattr(module, name, timed)
        cls = _flask_context.LeanRequestContext
        for name in ("__init__", "push", "pop"):
            def timed_method(self, *args, _name=name, _f=getattr(cls, name)):
                started = clock()
                try:
                    return _f(self, *args)
                finally:
                    timings["context." + _name] = timings.get("context." + _name, 0) + clock() - started
            setattr(cls, name, timed_method)

    def scope(path):
        route, _, query = path.partition("?")
        return {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
                "method": "GET", "scheme": "http", "path": route, "raw_path": route.encode(),
                "query_string": query.encode(), "root_path": "",
                "headers": [(b"host", b"127.0.0.1:8000"), (b"user-agent", b"request_cpu")],
                "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 8000)}

    async def main():
        out = {}
        async def receive():
            return {"type": "http.request", "body": b"", "more_body": False}
        async with app.router.lifespan_context(app):
            for path in paths:
                status = []
                async def send(message):
                    if message["type"] == "http.response.start":
                        status.append(message["status"])
                for _ in range(warm):
                    await app(scope(path), receive, send)
                timings.clear()
                status.clear()
                started = time.process_time()
                for _ in range(n):
                    await app(scope(path), receive, send)
                cpu = time.process_time() - started
                bad = [s for s in status if s >= 400]
                if bad:
                    raise SystemExit(f"{path}: status {bad[0]}")
                out[path] = {"us": cpu / n * 1e6,
                             "phases": {k: v / n / 1000 for k, v in timings.items()}}
        print(json.dumps(out))

    asyncio.run(main())
''')


def measure(project: str, spec: str, pythonpath: list[Path], env: dict[str, str],
            paths: list[str], args: argparse.Namespace, phases: bool) -> dict[str, Any]:
    inherited = [os.environ["PYTHONPATH"]] if os.environ.get("PYTHONPATH") else []
    child_env = {**os.environ, **env,
                 "PYTHONPATH": os.pathsep.join([*(str(p) for p in pythonpath), *inherited])}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, project, spec, str(args.requests), str(args.warmup),
         "1" if phases else "0", json.dumps(paths)],
        capture_output=True, text=True, env=child_env, timeout=900)
    if done.returncode != 0:
        raise SystemExit(f"{project} {spec} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--projects", nargs="+", default=["bookshop", "gateway"],
                        choices=["bookshop", "gateway"])
    parser.add_argument("--requests", type=int, default=1500, help="per path and round")
    parser.add_argument("--warmup", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--phases", action="store_true",
                        help="also time the generated app's legacy request context")
    args = parser.parse_args()
    h = harness()
    dsn = h.admin_dsn()
    h.check_postgres(dsn)
    print(f"CPU per request, in process ({args.requests} requests per path, best of "
          f"{args.rounds}); upstream without delay, real PostgreSQL; {os.cpu_count()} cores")
    with contextlib.ExitStack() as stack:
        logs = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="request-cpu-")))
        upstream = stack.enter_context(h.serve_upstream(log_dir=logs, delay_ms=0))
        db_url = stack.enter_context(h.temporary_database(
            dsn, "cpu", SAMPLES / "bookshop" / "schema.sql", SAMPLES / "bookshop" / "seed.sql"))
        env = {"DATABASE_URL": db_url, "UPSTREAM_URL": upstream.url, "API_TOKEN": API_TOKEN,
               "UPSTREAM_TIMEOUT": "5", "ASYNCIFY_HTTP_TRANSPORT": "aiohttp"}
        for project in args.projects:
            _, generated = generate(project, logs)
            legacy = SAMPLES / project
            apps = {
                "generated": (f"{project}_async.main:app", [generated, legacy]),
                "ceiling": (f"{project}_fastapi:app", [CEILING, legacy]),
            }
            paths = [path for path, _ in MIXES[project]]
            best: dict[str, dict[str, dict[str, Any]]] = {name: {} for name in apps}
            for round_ in range(args.rounds):
                for name, (spec, pythonpath) in apps.items():
                    phases = args.phases and name == "generated" and round_ == 0
                    for path, found in measure(project, spec, pythonpath, env, paths, args,
                                               phases).items():
                        kept = best[name].get(path)
                        if kept is None or found["us"] < kept["us"]:
                            best[name][path] = {**found, "phases": (found["phases"] or (
                                kept or {}).get("phases", {}))}
            print(f"\n{project:10} {'path':48} {'generated':>10} {'ceiling':>9} {'ratio':>6}")
            totals = [0.0, 0.0]
            for path in paths:
                g, c = best["generated"][path]["us"], best["ceiling"][path]["us"]
                totals[0] += g
                totals[1] += c
                print(f"{'':10} {path:48} {g:8.0f}us {c:7.0f}us {c / g:6.2f}")
            print(f"{'':10} {'mix (mean)':48} {totals[0] / len(paths):8.0f}us "
                  f"{totals[1] / len(paths):7.0f}us {totals[1] / totals[0]:6.2f}")
            if args.phases:
                print(f"{'':10} the generated app's legacy request context, per request:")
                for path in paths:
                    shown = ", ".join(f"{k} {v:.0f}" for k, v in sorted(
                        best["generated"][path]["phases"].items()))
                    # environ is built inside one of the others (or the view): not added.
                    total = sum(v for k, v in best["generated"][path]["phases"].items()
                                if k != "environ")
                    print(f"{'':10} {path:48} {total:5.0f}us ({shown})")


if __name__ == "__main__":
    main()
