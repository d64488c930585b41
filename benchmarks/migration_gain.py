"""Migration gain: the legacy sample apps (gunicorn gthread, 2 workers x 8 threads) against
their async versions (uvicorn, 2 workers) under load, with 50 ms of upstream latency and a
real PostgreSQL.

For bookshop and gateway it serves, one at a time:
- legacy:   the Flask app (``wsgi:<project>.app:create_app()``);
- migrated: the app ``asyncify apply`` generated, given with ``--migrated PROJECT=SPEC``
            (skipped when not given);
- ceiling:  the hand-written FastAPI + asyncpg + httpx app in ``benchmarks/ceiling``, the
            practical ceiling on this machine.

Load comes from wrk, a separate C process (installed with apt when missing): an async Python
generator would itself need most of a core to drive 500 connections at these rates, on a
2-core machine it shares with the apps, the upstream and PostgreSQL. Each app gets a fixed
mix of reads that do upstream HTTP (and, for bookshop, database) work, at 100 and 500
connections; throughput, p50, p99 and errors (socket errors + non-2xx/3xx) are printed side by
side, as ratios to legacy, and next to the physical ceiling: connections / (upstream calls
per request x 50 ms).

    python benchmarks/migration_gain.py --generate --write-docs   # about 8 minutes
    python benchmarks/migration_gain.py --migrated bookshop=asgi:bookshop_async.main:app \\
        --pythonpath /path/to/generated

``--generate`` copies each sample's package into a temporary directory, applies every
endpoint ``asyncify plan`` lists that ``apply`` accepts, and serves the generated
``<project>_async.main:app`` as *migrated*. The async apps' shared httpx client sends through
the transport given by ``--http-transport`` (``ASYNCIFY_HTTP_TRANSPORT``; default aiohttp, see
``benchmarks/http_client_overhead.py``).

Everything binds 127.0.0.1 and is stopped on exit (servers die with this process).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_projects"
CEILING = Path(__file__).resolve().parent / "ceiling"
GOLDEN_SCRIPT = ROOT / "scripts" / "regen_golden.py"
DOCS = ROOT / "docs" / "benchmarks.md"
CHART = ROOT / "docs" / "img" / "migration_gain.svg"
DELAY_MS = 50
API_TOKEN = "bench-token"

# Reads only (the database stays as seeded), each with its number of sequential upstream calls.
MIXES: dict[str, list[tuple[str, int]]] = {
    "bookshop": [
        ("/api/books/1/price?currency=EUR", 1),       # DB + pricing
        ("/api/books/3/availability", 1),             # DB + inventory
        ("/api/books/5/price", 1),
        ("/api/books/6/availability", 1),
    ],
    "gateway": [
        ("/api/shipping/estimate?country=DE&weight_g=800", 1),
        ("/api/currency/convert?amount=10&to=GBP", 1),
        ("/api/recommendations/7?limit=2", 3),        # recommendations + 2 catalog calls
    ],
    # Flask-SQLAlchemy, database only (no upstream): "physical" does not apply (0).
    "notes": [
        ("/api/notes/1", 0),                          # get_or_404 + lazy relationships
        ("/api/notebooks/2", 0),
        ("/api/notes/?page=1&per_page=3", 0),         # paginate: items + count
        ("/api/search?q=engine", 0),
    ],
}
READY = {"bookshop": "/health", "gateway": "/healthz", "notes": "/health"}
# The async apps' event loop (uvicorn --loop): ``fair`` is uvloop accepting every waiting
# connection at once (asyncify.serving; benchmarks/connection_burst.py shows why).
LOOPS = {"fair": "asyncify.serving:fair_accept_loop", "uvloop": "uvloop", "asyncio": "asyncio"}


@dataclass
class Result:
    project: str
    app: str
    connections: int
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    requests: int
    ceiling_rps: float


def harness() -> Any:
    spec = importlib.util.spec_from_file_location("asyncify_sample_harness",
                                                  SAMPLES / "harness.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    print("wrk is missing: installing Debian's wrk with apt-get", file=sys.stderr)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-q"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=True, env=env)
    return shutil.which("wrk") or "wrk"


LUA = """
local paths = {%s}
local counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", paths[(counter %% #paths) + 1])
end
"""


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def run_wrk(wrk: str, url: str, script: Path, connections: int, seconds: int) -> dict[str, Any]:
    out = subprocess.run(
        [wrk, "--threads", "2", "--connections", str(connections), "--duration", f"{seconds}s",
         "--timeout", "10s", "--latency", "--script", str(script), url],
        capture_output=True, text=True, check=True, timeout=seconds + 60,
    ).stdout
    socket_errors = sum(int(n) for n in re.findall(
        r"(?:connect|read|write|timeout) (\d+)", out.split("Socket errors:")[-1].split("\n")[0]
    )) if "Socket errors:" in out else 0
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1]),  # type: ignore[index]
        "p50_ms": _ms(re.search(r"\s50%\s+(\S+)", out)[1]),  # type: ignore[index]
        "p99_ms": _ms(re.search(r"\s99%\s+(\S+)", out)[1]),  # type: ignore[index]
        "requests": int(re.search(r"(\d+) requests in", out)[1]),  # type: ignore[index]
        "errors": socket_errors + (int(non_2xx[1]) if non_2xx else 0),
    }


def generate(project: str, into: Path) -> tuple[str, Path]:
    """The fully migrated app for ``project``: its package copied into ``into``, every
    endpoint `apply ENDPOINT` accepts applied (scripts/regen_golden.py's ``migrate_copy``,
    which also writes the golden trees). Returns its app spec and its directory."""
    spec = importlib.util.spec_from_file_location("asyncify_regen_golden", GOLDEN_SCRIPT)
    assert spec is not None and spec.loader is not None
    golden = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(golden)
    root = into / project
    golden.migrate_copy(project, root)
    return f"asgi:{project}_async.main:app", root


def measure(h: Any, args: argparse.Namespace, wrk: str, logs: Path) -> list[Result]:
    results: list[Result] = []
    dsn = h.admin_dsn()
    h.check_postgres(dsn)
    bookshop_dir, gateway_dir = SAMPLES / "bookshop", SAMPLES / "gateway"
    with contextlib.ExitStack() as stack:
        upstream = stack.enter_context(h.serve_upstream(log_dir=logs, delay_ms=DELAY_MS,
                                                        workers=2))
        db_url = stack.enter_context(h.temporary_database(
            dsn, "bench", bookshop_dir / "schema.sql", bookshop_dir / "seed.sql"))
        env = {"DATABASE_URL": db_url, "UPSTREAM_URL": upstream.url, "API_TOKEN": API_TOKEN,
               "UPSTREAM_TIMEOUT": "5", "ASYNCIFY_HTTP_TRANSPORT": args.http_transport}
        for project in args.projects:
            project_dir = bookshop_dir if project == "bookshop" else gateway_dir
            project_env = env
            if project == "notes":  # its own schema
                project_dir = SAMPLES / "notes"
                project_env = {**env, "DATABASE_URL": stack.enter_context(h.temporary_database(
                    dsn, "bench_notes", project_dir / "schema.sql", project_dir / "seed.sql"))}
            mix = MIXES[project]
            mean_calls = sum(calls for _, calls in mix) / len(mix)
            script = logs / f"{project}.lua"
            script.write_text(LUA % ", ".join(json.dumps(p) for p, _ in mix), encoding="utf-8")
            apps = [("legacy", f"wsgi:{project}.app:create_app()", {"workers": 2, "threads": 8})]
            if args.generate:
                spec, migrated_dir = generate(project, logs)
                apps.append(("migrated", spec, {"workers": 2, "project_dir": migrated_dir}))
            elif project in args.migrated:
                apps.append(("migrated", args.migrated[project], {"workers": 2}))
            if (CEILING / f"{project}_fastapi.py").is_file():  # none for notes yet
                apps.append(("ceiling", f"asgi:{project}_fastapi:app", {"workers": 2}))
            for name, spec, options in apps:
                sizing = {k: v for k, v in options.items() if k != "project_dir"}
                app_dir = options.get("project_dir", project_dir)
                app_env = project_env if name == "legacy" else {  # uvicorn reads UVICORN_*
                    **project_env, "UVICORN_LOOP": LOOPS[args.loop]}
                with h.serve_app(h.AppSpec.parse(spec), project_dir=app_dir, env=app_env,
                                 ready_path=READY[project], log_dir=logs, **sizing) as server:
                    run_wrk(wrk, server.url, script, 100, args.warmup)
                    for connections in args.connections:
                        measured = run_wrk(wrk, server.url, script, connections, args.seconds)
                        ceiling = (connections / (mean_calls * DELAY_MS / 1000)
                                   if mean_calls else 0.0)
                        results.append(Result(project, name, connections, ceiling_rps=ceiling,
                                              **measured))
                        print(_row(results[-1], results), flush=True)
                        time.sleep(1)
    return results


def _legacy(result: Result, results: list[Result]) -> Result | None:
    for other in results:
        if (other.project, other.app, other.connections) == (
                result.project, "legacy", result.connections):
            return other
    return None


def _row(r: Result, results: list[Result]) -> str:
    base = _legacy(r, results)
    ratio = f"{r.rps / base.rps:5.2f}x" if base and base.rps else "   - "
    p99 = f"{r.p99_ms / base.p99_ms:5.2f}x" if base and base.p99_ms else "   - "
    return (f"{r.project:9} {r.app:9} {r.connections:5} {r.rps:9.0f} {r.p50_ms:9.1f} "
            f"{r.p99_ms:9.1f} {r.errors:7} {ratio:>10} {p99:>10} {r.ceiling_rps:9.0f}")


HEADER = (f"{'project':9} {'app':9} {'conns':>5} {'req/s':>9} {'p50 ms':>9} {'p99 ms':>9} "
          f"{'errors':>7} {'rps/legacy':>10} {'p99/legacy':>10} {'physical':>9}")


def markdown(results: list[Result], machine: str) -> str:
    lines = [
        "## Migration gain",
        "",
        "`python benchmarks/migration_gain.py --generate --write-docs`: each sample app under "
        f"wrk ({machine}), upstream latency {DELAY_MS} ms, real PostgreSQL, reads only. "
        "Legacy: gunicorn gthread, 2 workers x 8 threads. Async apps: uvicorn (httptools), "
        "2 workers, the event loop named above (`--loop`). *migrated* is the combined app (`<pkg>_async.main:app`) "
        "`asyncify apply` wrote for every endpoint `asyncify plan` lists, in the same run. "
        "*ceiling* is the hand-written FastAPI + asyncpg + httpx app in "
        "`benchmarks/ceiling/` (same endpoints, same response bytes: `asyncify verify` finds no "
        "mismatch and the sample suites pass against it). *physical* is connections / "
        "(upstream calls per request x 50 ms).",
        "",
        "| project | app | connections | req/s | p50 ms | p99 ms | errors | req/s vs legacy "
        "| p99 vs legacy | physical req/s |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for r in results:
        base = _legacy(r, results)
        ratio = f"{r.rps / base.rps:.2f}x" if base and base.rps else "-"
        p99 = f"{r.p99_ms / base.p99_ms:.2f}x" if base and base.p99_ms else "-"
        lines.append(f"| {r.project} | {r.app} | {r.connections} | {r.rps:,.0f} | "
                     f"{r.p50_ms:.1f} | {r.p99_ms:.1f} | {r.errors} | {ratio} | {p99} | "
                     f"{r.ceiling_rps:,.0f} |")
    migrated = any(r.app == "migrated" for r in results)
    lines += [
        "",
        "![Throughput by app and connections](img/migration_gain.svg)",
        "",
        "Budget (at 500 connections): the migrated app serves at least 3x the legacy "
        "throughput with a lower p99 and no errors, and at least 90% of the ceiling app's "
        "throughput."
        + ("" if migrated else " The generated app does not exist yet: rerun with "
           "`--migrated bookshop=asgi:… --migrated gateway=asgi:…` once `asyncify apply` "
           "emits it; until then the ceiling row shows what is reachable."),
        "",
    ]
    return "\n".join(lines)


def svg_chart(results: list[Result]) -> str:
    """Grouped bars: req/s per (project, connections), one bar per app, plus the physical
    ceiling as a tick. Plain SVG, no external resources."""
    colours = {"legacy": "#9e9e9e", "migrated": "#1e88e5", "ceiling": "#43a047"}
    groups = sorted({(r.project, r.connections) for r in results})
    apps = [a for a in ("legacy", "migrated", "ceiling") if any(r.app == a for r in results)]
    top = max([r.rps for r in results] + [1.0]) * 1.15
    width, height, left, bottom = 140 * len(groups) + 80, 300, 60, 250
    bar = 100 / max(len(apps), 1)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             'font-family="sans-serif" font-size="11">',
             f'<line x1="{left}" y1="{bottom}" x2="{width - 10}" y2="{bottom}" stroke="#333"/>',
             f'<text x="10" y="20">req/s (top = {top:,.0f})</text>']
    for g, (project, connections) in enumerate(groups):
        x0 = left + 20 + g * 140
        for a, app in enumerate(apps):
            match = [r for r in results
                     if (r.project, r.connections, r.app) == (project, connections, app)]
            if not match:
                continue
            r = match[0]
            h = (bottom - 30) * r.rps / top
            x = x0 + a * bar
            parts.append(f'<rect x="{x:.0f}" y="{bottom - h:.0f}" width="{bar - 4:.0f}" '
                         f'height="{h:.0f}" fill="{colours[app]}"><title>{app}: '
                         f'{r.rps:,.0f} req/s</title></rect>')
            parts.append(f'<text x="{x + (bar - 4) / 2:.0f}" y="{bottom - h - 3:.0f}" '
                         f'text-anchor="middle">{r.rps:,.0f}</text>')
        parts.append(f'<text x="{x0 + 50}" y="{bottom + 15}" text-anchor="middle">{project}'
                     f'</text><text x="{x0 + 50}" y="{bottom + 28}" text-anchor="middle">'
                     f'{connections} conns</text>')
    for a, app in enumerate(apps):
        parts.append(f'<rect x="{left + 200 + a * 90}" y="8" width="10" height="10" '
                     f'fill="{colours[app]}"/><text x="{left + 214 + a * 90}" y="17">{app}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def write_docs(results: list[Result], machine: str) -> None:
    text = DOCS.read_text(encoding="utf-8")
    section = markdown(results, machine)
    match = re.search(r"^## Migration gain\n.*?(?=^## |\Z)", text, re.DOTALL | re.MULTILINE)
    if match:
        text = text[:match.start()] + section + ("\n" if match.end() < len(text) else "") \
            + text[match.end():]
    else:
        text = text.rstrip("\n") + "\n\n" + section
    DOCS.write_text(text, encoding="utf-8")
    CHART.parent.mkdir(parents=True, exist_ok=True)
    CHART.write_text(svg_chart(results), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--projects", nargs="+", default=["bookshop", "gateway", "notes"],
                        choices=sorted(MIXES))
    parser.add_argument("--connections", nargs="+", type=int, default=[100, 500])
    parser.add_argument("--seconds", type=int, default=10, help="per measurement")
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--migrated", action="append", default=[], metavar="PROJECT=SPEC",
                        help="the generated app, e.g. bookshop=asgi:bookshop_async.main:app")
    parser.add_argument("--pythonpath", default="", help="where the migrated app lives")
    parser.add_argument("--generate", action="store_true",
                        help="generate the fully migrated apps with asyncify apply first")
    parser.add_argument("--http-transport", choices=["aiohttp", "httpcore"], default="aiohttp",
                        help="the async apps' httpx transport (ASYNCIFY_HTTP_TRANSPORT)")
    parser.add_argument("--loop", choices=sorted(LOOPS), default="fair",
                        help="the async apps' event loop (default: %(default)s, "
                        "asyncify.serving.fair_accept_loop)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--write-docs", action="store_true",
                        help="rewrite '## Migration gain' in docs/benchmarks.md and the chart")
    args = parser.parse_args()
    args.migrated = dict(item.split("=", 1) for item in args.migrated)
    # 500 client sockets plus each app's upstream and database connections.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 65536)), hard))
    extra = [str(CEILING)] + ([args.pythonpath] if args.pythonpath else [])
    os.environ["PYTHONPATH"] = os.pathsep.join(
        extra + ([os.environ["PYTHONPATH"]] if os.environ.get("PYTHONPATH") else []))
    wrk = ensure_wrk()
    h = harness()
    machine = f"{os.cpu_count()} cores, Python {sys.version.split()[0]}"
    print(f"migration gain on {machine}; upstream latency {DELAY_MS} ms; "
          f"{args.seconds} s per measurement; async apps' httpx transport: "
          f"{args.http_transport}, loop: {args.loop}", flush=True)
    print(HEADER, flush=True)
    with tempfile.TemporaryDirectory(prefix="migration-gain-") as logs:
        results = measure(h, args, wrk, Path(logs))
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in results], indent=1) + "\n",
                             encoding="utf-8")
    if args.write_docs:
        write_docs(results, f"{machine}, async apps' httpx transport: {args.http_transport}, "
                   f"event loop: {LOOPS[args.loop]}")
        print(f"wrote {DOCS.relative_to(ROOT)} and {CHART.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
