"""Acceptance: the demo app (Flask legacy + FastAPI twin, combined with the router) served by
real uvicorn on 127.0.0.1, flags changed with ``asyncify flags``, real Redis where shared."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
from typer.testing import CliRunner

from asyncify.cli import app as cli
from asyncify.verify import AppSpec, Server, start_app

from .conftest import HERE, REDIS_URL, PrivateRedis

ITEM = "demo_app.legacy_item"
DIVERGENT = "demo_app.legacy_divergent"
CREATE = "demo_app.legacy_create"
USERS = [f"user-{i}" for i in range(200)]
runner = CliRunner()


@contextlib.contextmanager
def serve(tmp: Path, store: str, *, workers: int = 1, **env: str) -> Iterator[Server]:
    full = {"DEMO_DIR": str(tmp), "ASYNCIFY_FLAGS": store, **env}
    server = start_app(AppSpec("asgi", "demo_app:create()"), app_dir=HERE, env=full,
                       log_dir=tmp, workers=workers)
    with server:
        server.wait_ready("/other")
        yield server


def flags(store: str, *args: str, key: str = "asyncify:flags") -> str:
    result = runner.invoke(cli, ["flags", *args, "--store", store, "--key", key])
    assert result.exit_code == 0, result.output
    return result.stdout


def fresh_client(url: str) -> httpx.Client:
    """A client opening a new connection per request (so worker processes alternate)."""
    return httpx.Client(base_url=url, timeout=10,
                        limits=httpx.Limits(max_keepalive_connections=0))


def served(client: httpx.Client, path: str, users: list[str]) -> list[str]:
    out = []
    for user in users:
        response = client.get(path, headers={"X-User-Id": user})
        assert response.status_code == 200, response.text
        out.append(response.headers["x-served-by"])
    return out


def until(check: Callable[[], Any], timeout: float = 5.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def test_stage_transitions(tmp_path: Path) -> None:
    store = str(tmp_path / "flags.json")
    with serve(tmp_path, store) as server, httpx.Client(base_url=server.url) as client:
        assert set(served(client, "/items/1", USERS[:10])) == {"legacy"}  # no flag yet
        flags(store, "set", ITEM, "--stage", "shadow")
        # legacy answers while shadow runs of the async variant begin
        until(lambda: set(served(client, "/items/1", USERS[:10])) == {"legacy"}
              and (tmp_path / "async-calls").exists())
        flags(store, "set", ITEM, "--percent", "10")
        until(lambda: served(client, "/items/1", USERS[:50]).count("async"))
        share = served(client, "/items/1", USERS).count("async")
        assert 8 <= share <= 40, share  # about 10 % of 200 users, sticky per user
        assert served(client, "/items/1", USERS) == served(client, "/items/1", USERS)
        flags(store, "set", ITEM, "--percent", "50")
        until(lambda: served(client, "/items/1", USERS).count("async") > 60)
        flags(store, "set", ITEM, "--stage", "async")
        until(lambda: set(served(client, "/items/1", USERS[:20])) == {"async"})
        assert client.get("/other").json() == {"legacy_only": True}
        metrics = client.get("/asyncify/metrics").text
        assert f'asyncify_rollout_requests_total{{flag="{ITEM}",outcome="ok",variant="async"}}' \
            in metrics
        time.sleep(0.3)  # the last stats are published every 0.2 s
    status = json.loads(flags(store, "status", "--format", "json"))
    variants = status["endpoints"][ITEM]["variants"]
    assert variants["async"]["requests"] > 100 and variants["legacy"]["requests"] > 100
    assert variants["shadow_outcomes"]["mismatch_rate"] == 0.0


def test_kill_switch_within_a_second_across_two_workers(tmp_path: Path, redis_key: str) -> None:
    with serve(tmp_path, REDIS_URL, workers=2, ASYNCIFY_FLAGS_KEY=redis_key) as server, \
            fresh_client(server.url) as client:
        flags(REDIS_URL, "set", ITEM, "--stage", "async", key=redis_key)

        def both_async() -> bool:
            seen = set()
            for _ in range(40):
                r = client.get("/items/1", headers={"X-User-Id": "u"})
                if r.headers["x-served-by"] == "async":
                    seen.add(r.headers["x-worker"])
            return len(seen) == 2

        until(both_async, timeout=15)
        flags(REDIS_URL, "kill", ITEM, key=redis_key)
        killed_at = time.monotonic()
        late: list[tuple[str, str]] = []
        while time.monotonic() - killed_at < 2.0:
            r = client.get("/items/1", headers={"X-User-Id": "u"})
            assert r.status_code == 200
            if time.monotonic() - killed_at > 1.0:
                late.append((r.headers["x-worker"], r.headers["x-served-by"]))
    assert {variant for _, variant in late} == {"legacy"}
    assert len({worker for worker, _ in late}) == 2  # both workers were asked after 1 s


def test_redis_down_last_good_then_legacy_no_5xx(tmp_path: Path,
                                                  private_redis: PrivateRedis) -> None:
    with serve(tmp_path, private_redis.url, DEMO_MAX_STALE="2") as server, \
            httpx.Client(base_url=server.url) as client:
        flags(private_redis.url, "set", ITEM, "--stage", "async")
        until(lambda: served(client, "/items/1", ["u"]) == ["async"])
        private_redis.stop()
        down_at = time.monotonic()
        seen = []
        while time.monotonic() - down_at < 4.0:
            r = client.get("/items/1", headers={"X-User-Id": "u"})
            assert r.status_code == 200  # never a 5xx
            seen.append((time.monotonic() - down_at, r.headers["x-served-by"]))
        log = server.log_tail(200)
    assert all(v == "async" for t, v in seen if t < 1.5)  # last known good flags
    assert all(v == "legacy" for t, v in seen if t > 3.0)  # then legacy
    assert "Redis unreachable" in log and "every endpoint serves legacy" in log


def test_corrupt_flag_file_keeps_last_good(tmp_path: Path) -> None:
    store = tmp_path / "flags.json"
    with serve(tmp_path, str(store)) as server, httpx.Client(base_url=server.url) as client:
        flags(str(store), "set", ITEM, "--stage", "async")
        until(lambda: served(client, "/items/1", ["u"]) == ["async"])
        store.write_text('{"flags": {"demo_app.legacy_item": {"state": ')
        until(lambda: served(client, "/items/1", ["u"]) == ["async"]
              and "flag file unusable" in server.log_tail(50))
        assert set(served(client, "/items/1", USERS[:20])) == {"async"}
        log = server.log_tail(50)
    line = next(x for x in log.splitlines() if "flag file unusable" in x)
    assert "keeping the last good flags" in line and str(store) in line and "JSON" in line


def test_shadow_mismatch_and_refused_post(tmp_path: Path) -> None:
    store = str(tmp_path / "flags.json")
    for endpoint in (ITEM, DIVERGENT, CREATE):
        flags(store, "set", endpoint, "--stage", "shadow")
    with serve(tmp_path, store) as server, httpx.Client(base_url=server.url) as client:
        for _ in range(5):
            for path in ("/items/2", "/divergent/2"):
                r = client.get(path, headers={"X-User-Id": "u"})
                assert r.status_code == 200 and r.headers["x-served-by"] == "legacy"
            r = client.post("/items", headers={"X-User-Id": "u"})
            assert r.status_code == 201 and r.headers["x-served-by"] == "legacy"
        until(lambda: "shadow mismatch" in server.log_tail(100))
        time.sleep(0.5)
        client.get("/items/2")  # publishes the stats (and shadows once more)
        time.sleep(0.3)
        log = server.log_tail(200)
    calls = (tmp_path / "async-calls").read_text().split()
    assert "create" not in calls  # the POST was never replayed to the async variant
    assert calls.count("divergent") == 5 and calls.count("item") == 6
    assert "asyncify shadow refused" in log
    status = json.loads(flags(store, "status", "--format", "json"))["endpoints"]
    assert status[DIVERGENT]["variants"]["shadow_outcomes"]["mismatch_rate"] == 1.0
    assert status[ITEM]["variants"]["shadow_outcomes"]["mismatch_rate"] == 0.0
    assert status[CREATE]["variants"]["shadow_outcomes"]["refused"] == 5


def guardrail_rolls_back(tmp_path: Path, fault: str, expected: str) -> None:
    store = str(tmp_path / "flags.json")
    flags(store, "set", ITEM, "--percent", "50")
    with serve(tmp_path, store, DEMO_WINDOW="10", DEMO_MIN_REQUESTS="20") as server, \
            httpx.Client(base_url=server.url) as client:
        served(client, "/items/1", USERS)  # healthy baseline for both variants
        (tmp_path / "fault").write_text(fault)
        faulted_at = time.monotonic()
        statuses: list[tuple[int, str]] = []
        stamps: list[float] = []
        while time.monotonic() - faulted_at < 10:
            r = client.get("/items/1", headers={"X-User-Id": USERS[len(statuses) % 200]})
            statuses.append((r.status_code, r.headers["x-served-by"]))
            stamps.append(time.monotonic() - faulted_at)
            if [v for _, v in statuses[-40:]] == ["legacy"] * 40:
                break
        rolled_after = time.monotonic() - faulted_at
        log = server.log_tail(100)
    assert rolled_after < 10, "no rollback within the guardrail window"
    assert all(code == 200 for code, variant in statuses if variant == "legacy")
    failed = [stamp for stamp, (code, _) in zip(stamps, statuses, strict=True) if code != 200]
    if fault == "500":  # the async variant's own 500s, only until the guardrail's checks
        assert failed and max(failed) < 2.0, failed
    else:
        assert failed == []
    entry = json.loads(flags(store, "history", ITEM, "--format", "json", "-n", "1"))
    assert entry["reason"].startswith(f"guardrail: {expected}")
    assert entry["new"]["stage"] == "legacy" and entry["old"]["stage"] == "canary"
    assert "asyncify guardrail: rolled 'demo_app.legacy_item' back from canary" in log


def test_guardrail_rolls_back_on_500s(tmp_path: Path) -> None:
    guardrail_rolls_back(tmp_path, "500", "async error rate")


def test_guardrail_rolls_back_when_5x_slower(tmp_path: Path) -> None:
    guardrail_rolls_back(tmp_path, "slow", "async p")
