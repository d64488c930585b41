"""The middleware on the bookshop under a real gunicorn (gthread, 2 workers x 4 threads) with
a load generator: per-endpoint HTTP and DB times match the injected upstream latency and the
real query times; the CPU-heavy endpoint is classified as such; the plan merges it all."""

from __future__ import annotations

import contextlib
import os
import statistics
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import psycopg2
import pytest

from asyncify import api
from asyncify.planner import to_data
from asyncify.profile import SCHEMA, load_profiles

UPSTREAM_DELAY_S = 0.050
DB_DELAY_S = 0.020

# Every query that reads ``books`` waits DB_DELAY_S inside PostgreSQL: a real, known query time.
SLOW_BOOKS = f"""
ALTER TABLE books RENAME TO books_data;
CREATE FUNCTION slow_books() RETURNS SETOF books_data LANGUAGE sql VOLATILE AS $$
    SELECT pg_sleep({DB_DELAY_S});
    SELECT * FROM books_data;
$$;
CREATE VIEW books AS SELECT * FROM slow_books();
"""

WRAPPER = """
import os
from asyncify.profile import FlaskProfiler
from bookshop.app import create_app as create_bookshop

def create_app():
    app = create_bookshop()
    FlaskProfiler(app, directory=os.environ["ASYNCIFY_PROFILE_DIR"], sample_rate=1.0)
    return app
"""

LOAD = (
    [("GET", "/api/books/1")] * 60
    + [("GET", "/api/books/2/price")] * 30
    + [("GET", "/api/tools/price-simulation?runs=6000")] * 8
    + [("GET", "/health")] * 20
    + [("GET", "/no/such/route")] * 5
)


@pytest.fixture(scope="module")
def profiled(harness: Any, postgres: str, slow_upstream: str, logs: Path, bookshop_root: Path,
             tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Serve, load, stop (workers flush at exit); yields the profile dir and a reference."""
    work = tmp_path_factory.mktemp("profiled")
    (work / "profiled_bookshop.py").write_text(WRAPPER, encoding="utf-8")
    out = work / "profiles"
    schema, seed = bookshop_root / "schema.sql", bookshop_root / "seed.sql"
    with harness.temporary_database(postgres, "bookshop", schema, seed) as url:
        harness.run_sql(url, SLOW_BOOKS)
        reference = _query_time(url)
        env = {"DATABASE_URL": url, "UPSTREAM_URL": slow_upstream, "API_TOKEN": "t",
               "UPSTREAM_TIMEOUT": "2", "ASYNCIFY_PROFILE_DIR": str(out)}
        spec = harness.AppSpec("wsgi", "profiled_bookshop:create_app()")
        old = os.environ.get("PYTHONPATH")
        os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(work), old]))
        try:
            with harness.serve_app(spec, project_dir=bookshop_root, env=env,
                                   ready_path="/health", log_dir=logs, workers=2,
                                   threads=4) as server:
                started = time.monotonic()
                statuses = _load(server.url)
                elapsed = time.monotonic() - started
        finally:
            if old is None:
                os.environ.pop("PYTHONPATH")
            else:
                os.environ["PYTHONPATH"] = old
        yield {"dir": out, "reference_db_s": reference, "statuses": statuses,
               "elapsed": elapsed}


def _query_time(url: str) -> float:
    """The real time of the query book_detail makes, measured from outside the app."""
    with contextlib.closing(psycopg2.connect(url)) as conn, conn.cursor() as cur:
        times = []
        for _ in range(5):
            started = time.perf_counter()
            cur.execute("SELECT * FROM books WHERE id = %s", (1,))
            cur.fetchall()
            times.append(time.perf_counter() - started)
    return statistics.median(times)


def _load(url: str) -> dict[int, int]:
    statuses: dict[int, int] = {}
    with httpx.Client(base_url=url, timeout=20) as client:

        def one(request: tuple[str, str]) -> int:
            return client.request(*request).status_code

        with ThreadPoolExecutor(6) as pool:
            for status in pool.map(one, LOAD):
                statuses[status] = statuses.get(status, 0) + 1
    return statuses


def _endpoint(data: dict[str, Any], path: str) -> dict[str, Any]:
    return next(e for e in data["endpoints"] if e["path"] == path)


def test_the_load_ran_and_every_worker_wrote_its_own_file(profiled):
    assert profiled["statuses"] == {200: 118, 404: 5}
    files = sorted(profiled["dir"].glob("*.jsonl"))
    assert 1 <= len(files) <= 2, files  # one per gunicorn worker that served a request
    assert all(f.read_text().startswith(f'{{"schema":"{SCHEMA}"') for f in files)
    data = load_profiles([profiled["dir"]])
    assert data.diagnostics == []
    # + the harness's readiness probes (GET /health; a slow start can take more than one)
    probes = data.requests - len(LOAD)
    assert 1 <= probes <= 5
    health = data.routes[("GET", "/health")][0]
    assert health.requests == 20 + probes
    assert data.unrouted == 5  # the 404s match no rule
    assert set(data.routes) == {
        ("GET", "/api/books/<int:book_id>"), ("GET", "/api/books/<int:book_id>/price"),
        ("GET", "/api/tools/price-simulation"), ("GET", "/health"),
    }


def test_db_time_matches_the_real_query_time(profiled):
    m = _endpoint(_plan(profiled), "/api/books/<int:book_id>")["measured"]
    assert m["requests"] == 60
    assert m["db_calls"] == 1
    reference_ms = profiled["reference_db_s"] * 1000
    assert DB_DELAY_S * 1000 <= reference_ms < DB_DELAY_S * 1000 + 10
    # The profile's DB time: the query's real time, plus rollback and (first requests of a
    # worker) opening pooled connections; the upper slack absorbs a busy 2-core machine.
    assert reference_ms * 0.9 <= m["db_ms"] <= reference_ms * 1.5 + 15, (m, reference_ms)
    assert m["http_ms"] == 0 and m["http_calls"] == 0
    assert m["write_share"] == 0 and m["write_heavy"] is False
    assert m["io_ms"] <= m["wall_ms"]["mean"]


def test_http_time_matches_the_injected_upstream_latency(profiled):
    m = _endpoint(_plan(profiled), "/api/books/<int:book_id>/price")["measured"]
    assert m["requests"] == 30
    assert m["http_calls"] == 1 and m["db_calls"] == 1
    assert UPSTREAM_DELAY_S * 1000 <= m["http_ms"] <= UPSTREAM_DELAY_S * 1000 * 1.5 + 15, m
    assert DB_DELAY_S * 1000 <= m["db_ms"] <= DB_DELAY_S * 1000 * 1.5 + 15, m
    assert m["cpu_heavy"] is False
    assert m["io_share"] > 0.6


def test_the_cpu_heavy_endpoint_is_classified_as_such(profiled):
    data = _plan(profiled)
    sim = _endpoint(data, "/api/tools/price-simulation")
    assert sim["measured"]["cpu_heavy"] is True
    assert sim["measured"]["io_ms"] == 0
    assert sim["measured"]["cpu_ms"] >= 10
    assert sim["wave"] == 4  # no I/O: async brings nothing
    assert _endpoint(data, "/health")["measured"]["cpu_heavy"] is False


def test_the_plan_ranks_measured_endpoints_by_io_time(profiled):
    data = _plan(profiled)
    probes = data["profile"]["requests"] - len(LOAD)  # the harness's readiness probes
    assert 1 <= probes <= 5
    assert data["profile"]["matched"] == len(LOAD) + probes - 5
    price = _endpoint(data, "/api/books/<int:book_id>/price")
    detail = _endpoint(data, "/api/books/<int:book_id>")
    # priority = requests x I/O seconds x (1 - CPU share)
    m = price["measured"]
    assert price["priority"] == pytest.approx(
        m["requests"] * m["io_ms"] / 1000 * (1 - m["cpu_share"]), rel=0.02)
    unmeasured = [e for e in data["endpoints"] if e["io"] and e["measured"] is None]
    assert unmeasured and all(e["priority"] is None for e in unmeasured)
    # Within a wave, measured endpoints come first.
    for wave in {e["wave"] for e in data["endpoints"]}:
        members = [e for e in data["endpoints"] if e["wave"] == wave and e["wave"] != 1]
        flags = [e["priority"] is None for e in members]
        assert flags == sorted(flags)
    assert detail["disagreements"] == []


def _plan(profiled: dict[str, Any]) -> dict[str, Any]:
    root = Path(__file__).resolve().parents[2] / "sample_projects" / "bookshop"
    return to_data(api.plan(root, profiles=[profiled["dir"]]))
