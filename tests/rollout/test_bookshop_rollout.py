"""End to end on bookshop (real PostgreSQL, the fake upstream, uvicorn, shared Redis): migrate
two endpoints with ``asyncify apply``, turn the router on, walk one endpoint through shadow →
10 % → 100 % while a load generator runs, inject a fault in the async variant, watch the
guardrail roll it back, and count failed user requests.

The generated ``main.py`` gets the one change the generator should make
(``combine(..., rollout=...)``), here through ``rollout_glue.combine``, which also puts a fault
switch on the async path only (after the router, legacy requests never pass through it).
"""

from __future__ import annotations

import json
import random
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from typer.testing import CliRunner

from asyncify.cli import app as cli
from asyncify.verify import AppSpec, start_app

from .conftest import REDIS_URL

ROOT = Path(__file__).resolve().parents[2]
BOOKSHOP = ROOT / "sample_projects" / "bookshop"
DETAIL = "bookshop.views.books.book_detail"
PRICE = "bookshop.views.books.book_price"
runner = CliRunner()

GLUE = '''
import os

from asyncify.compat import combine as plain_combine
from asyncify.rollout import Guardrail, Rollout


class AsyncFault:
    """500 for every request reaching the async side while the fault file exists."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and os.path.exists(os.environ["FAULT_FILE"]):
            await send({"type": "http.response.start", "status": 500,
                        "headers": [(b"content-type", b"application/json")]})
            await send({"type": "http.response.body", "body": b'{"error": "injected"}'})
            return
        await self.app(scope, receive, send)


def combine(legacy, routers, **kwargs):
    app = plain_combine(legacy, routers, **kwargs)
    app.add_middleware(AsyncFault)
    mount = app.router.routes[-1]
    rollout = Rollout.from_env(
        guardrail=Guardrail(window=10, min_requests=20, check_interval=0.1),
        stats_interval=0.2)
    rollout.install(app, legacy=legacy, legacy_app=mount.app, routes=app.router.routes[:-1])
    return app
'''


def flags(key: str, *args: str) -> str:
    result = runner.invoke(cli, ["flags", *args, "--store", REDIS_URL, "--key", key])
    assert result.exit_code == 0, result.output
    return result.stdout


class Load:
    """Users hitting both migrated endpoints from a thread; every answer is kept."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.results: list[tuple[float, str, int]] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run)

    def run(self) -> None:
        rng = random.Random(7)
        with httpx.Client(base_url=self.url, timeout=10) as client:
            while not self.stop.is_set():
                path = rng.choice(["/api/books/1", "/api/books/2", "/api/books/1/price"])
                user = f"user-{rng.randrange(500)}"
                try:
                    status = client.get(path, headers={"X-User-Id": user}).status_code
                except httpx.HTTPError:
                    status = 0
                self.results.append((time.monotonic(), path, status))

    def failures(self, since: float = 0.0, until: float = float("inf")) -> list[Any]:
        return [r for r in self.results if since <= r[0] < until and r[2] != 200]


def wait(check: Callable[[], Any], timeout: float = 30.0,
         state: Callable[[], Any] = lambda: None) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := check()):
        assert time.monotonic() < deadline, f"condition not met in time; state: {state()}"
        time.sleep(0.2)
    return value


def variants(key: str, endpoint: str) -> dict[str, Any]:
    status = json.loads(flags(key, "status", "--format", "json"))
    result: dict[str, Any] = status["endpoints"].get(endpoint, {}).get("variants", {})
    return result


def test_walk_through_with_fault(tmp_path: Path, sample_harness: Any, postgres_dsn: str,
                                 redis_key: str) -> None:
    project = tmp_path / "proj"
    project.mkdir()
    shutil.copytree(BOOKSHOP / "bookshop", project / "bookshop")
    applied = runner.invoke(cli, ["apply", DETAIL, PRICE, "--root", str(project), "--write"])
    assert applied.exit_code == 0, applied.output
    main = project / "bookshop_async" / "main.py"
    main.write_text(main.read_text().replace("from asyncify.compat import combine",
                                             "from rollout_glue import combine"))
    (project / "rollout_glue.py").write_text(GLUE)
    fault = tmp_path / "fault"
    logs = tmp_path / "logs"
    logs.mkdir()
    with sample_harness.temporary_database(postgres_dsn, "bookshop", BOOKSHOP / "schema.sql",
                                           BOOKSHOP / "seed.sql") as db, \
            sample_harness.serve_upstream(log_dir=logs) as upstream:
        env = {"DATABASE_URL": db, "UPSTREAM_URL": upstream.url, "API_TOKEN": "t",
               "UPSTREAM_TIMEOUT": "2", "ASYNCIFY_FLAGS": REDIS_URL,
               "ASYNCIFY_FLAGS_KEY": redis_key, "FAULT_FILE": str(fault)}
        server = start_app(AppSpec("asgi", "bookshop_async.main:app"), app_dir=project,
                           env=env, log_dir=logs)
        with server:
            server.wait_ready("/health")
            load = Load(server.url)
            load.thread.start()
            try:
                flags(redis_key, "set", PRICE, "--stage", "async")
                flags(redis_key, "set", DETAIL, "--stage", "shadow")
                wait(lambda: variants(redis_key, DETAIL).get("shadow_outcomes", {})
                     .get("match", 0) >= 20, state=lambda: (variants(redis_key, DETAIL),
                                                            server.log_tail(20)))
                flags(redis_key, "set", DETAIL, "--percent", "10")
                wait(lambda: variants(redis_key, DETAIL).get("async", {})
                     .get("requests", 0) >= 5)
                flags(redis_key, "set", DETAIL, "--percent", "100")
                wait(lambda: variants(redis_key, DETAIL).get("async", {})
                     .get("requests", 0) >= 60)
                healthy_until = time.monotonic()
                fault.write_text("on")
                rolled = wait(lambda: all(
                    json.loads(flags(redis_key, "list", "--format", "json"))[e]["stage"]
                    == "legacy" for e in (DETAIL, PRICE)))
                fault.unlink()
                rolled_at = time.monotonic()
                time.sleep(2)
            finally:
                load.stop.set()
                load.thread.join(15)
            log = server.log_tail(300)
    assert rolled
    shadow = variants(redis_key, DETAIL).get("shadow_outcomes", {})
    assert shadow.get("mismatch", 0) == 0, log
    assert len(load.results) > 200
    assert load.failures(until=healthy_until) == []  # no failure from the router itself
    assert load.failures(since=rolled_at + 0.5) == []  # legacy serves again
    injected = load.failures(since=healthy_until, until=rolled_at + 0.5)
    # Only the async variant's own 500s (instant, so they come fast), and only until the
    # guardrail's next checks: users see legacy again within a second or two of the fault.
    assert injected and {status for _, _, status in injected} == {500}
    assert max(t for t, _, _ in injected) - healthy_until < 2.0, (
        [(round(t - healthy_until, 2), p) for t, p, _ in injected])
    assert rolled_at - healthy_until < 10  # recorded in the store within the window
    reasons = [e["reason"] for e in json.loads(
        "[" + ",".join(flags(redis_key, "history", "--format", "json").splitlines()) + "]")]
    assert sum(r.startswith("guardrail: async error rate") for r in reasons) == 2
    assert "asyncify guardrail: rolled 'bookshop.views.books.book_detail' back" in log
