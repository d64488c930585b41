"""The fake upstream's contract: latency and failure injection that benchmarks and the
sample suites rely on."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest


@pytest.fixture(scope="module")
def upstream(upstream_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=upstream_url, timeout=10.0) as http:
        yield http


def timed_get(client: httpx.Client, path: str, **kwargs: Any) -> tuple[httpx.Response, float]:
    start = time.perf_counter()
    response = client.get(path, **kwargs)
    return response, time.perf_counter() - start


def test_delay_from_query_parameter(upstream: httpx.Client) -> None:
    response, elapsed = timed_get(upstream, "/health", params={"delay_ms": 200})
    assert response.json() == {"status": "ok"}
    assert elapsed >= 0.2


def test_delay_from_header(upstream: httpx.Client) -> None:
    response, elapsed = timed_get(upstream, "/health", headers={"X-Delay-Ms": "200"})
    assert response.status_code == 200
    assert elapsed >= 0.2


def test_process_wide_default_delay(sample_harness: Any, tmp_path: Path) -> None:
    with (
        sample_harness.serve_upstream(log_dir=tmp_path, delay_ms=150) as server,
        httpx.Client(base_url=server.url) as client,
    ):
        response, elapsed = timed_get(client, "/health")
    assert response.status_code == 200
    assert elapsed >= 0.15


def test_status_on_demand(upstream: httpx.Client) -> None:
    response = upstream.get("/faults/status/418")
    assert response.status_code == 418
    assert response.json() == {"status": 418}


def test_slow_response_triggers_client_timeouts(upstream: httpx.Client) -> None:
    with pytest.raises(httpx.ReadTimeout):
        upstream.get("/faults/slow", params={"ms": 300}, timeout=0.1)
    assert upstream.get("/faults/slow", params={"ms": 10}).json() == {"slept_ms": 10}


def test_redirect(upstream: httpx.Client) -> None:
    response = upstream.get("/faults/redirect", params={"to": "/health", "code": 307})
    assert response.status_code == 307
    assert response.headers["location"] == "/health"


def test_legacy_catalog_path_redirects(upstream: httpx.Client) -> None:
    response = upstream.get("/catalog/items/BK-1/description")
    assert response.status_code == 301
    assert response.headers["location"] == "/catalog/products/BK-1/description"


def test_flaky_key_fails_n_times_then_succeeds(upstream: httpx.Client) -> None:
    key = uuid.uuid4().hex
    statuses = [upstream.get(f"/faults/flaky/{key}", params={"failures": 2}) for _ in range(3)]
    assert [r.status_code for r in statuses] == [503, 503, 200]
    assert statuses[-1].json() == {"key": key, "attempt": 3, "ok": True}


def test_flaky_request_id_applies_per_path_and_only_to_get(upstream: httpx.Client) -> None:
    request_id = f"flaky1-{uuid.uuid4()}"
    headers = {"X-Request-Id": request_id}
    assert upstream.get("/inventory/BK-1", headers=headers).status_code == 503
    assert upstream.get("/inventory/BK-1", headers=headers).status_code == 200
    assert upstream.get("/inventory/BK-2", headers=headers).status_code == 503
    quote = {"items": [{"sku": "BK-1", "qty": 1}]}
    assert upstream.post("/pricing/quote", json=quote, headers=headers).status_code == 200
    attempts = upstream.get(f"/__upstream/attempts/{request_id}").json()
    assert attempts == {
        "request_id": request_id,
        "attempts": {"/inventory/BK-1": 2, "/inventory/BK-2": 1},
    }


def test_slow_request_id(upstream: httpx.Client) -> None:
    response, elapsed = timed_get(upstream, "/health", headers={"X-Request-Id": "slow150-x"})
    assert response.status_code == 200
    assert elapsed >= 0.15


def test_ndjson_stream(upstream: httpx.Client) -> None:
    with upstream.stream("GET", "/faults/stream", params={"lines": 3}) as response:
        assert response.headers["content-type"] == "application/x-ndjson"
        assert response.headers["transfer-encoding"] == "chunked"
        body = response.read()
    assert body == b'{"n": 0}\n{"n": 1}\n{"n": 2}\n'


def test_review_export_keeps_raw_line_separators(upstream: httpx.Client) -> None:
    body = upstream.get("/reviews/BK-101/export").content
    assert body.count(b"\n") == 3
    assert "\u2028".encode() in body


def test_malformed_json(upstream: httpx.Client) -> None:
    response = upstream.get("/faults/malformed")
    assert response.headers["content-type"] == "application/json"
    with pytest.raises(json.JSONDecodeError):
        response.json()


def test_echo(upstream: httpx.Client) -> None:
    response = upstream.post("/faults/echo?a=1", content=b"hello", headers={"X-Test": "yes"})
    body = response.json()
    assert (body["method"], body["path"], body["query"], body["body"]) == (
        "POST",
        "/faults/echo",
        "a=1",
        "hello",
    )
    assert body["headers"]["x-test"] == "yes"


@pytest.mark.parametrize(("sku", "status"), [("GONE-1", 404), ("BOOM-1", 500)])
def test_sku_faults(upstream: httpx.Client, sku: str, status: int) -> None:
    assert upstream.get(f"/catalog/products/{sku}").status_code == status


def test_reviews_fault_only_hits_reviews(upstream: httpx.Client) -> None:
    assert upstream.get("/reviews/NOREV-1/summary").status_code == 503
    assert upstream.get("/catalog/products/NOREV-1").status_code == 200


def test_description_is_text_without_charset(upstream: httpx.Client) -> None:
    response = upstream.get("/catalog/products/BK-101/description")
    assert response.headers["content-type"] == "text/plain"
    assert response.content.decode("utf-8").startswith("The Silent Archive — a fiction title.")


def test_empty_coupon_is_unknown(upstream: httpx.Client) -> None:
    response = upstream.get("/pricing/BK-1", params={"coupon": ""})
    assert response.status_code == 422
    assert response.json() == {"error": "unknown coupon ''"}


def test_fulfilment_checks_the_signature(upstream: httpx.Client) -> None:
    body = json.dumps({"customer": {"name": "A"}, "items": [{"sku": "BK-1", "qty": 2}]}).encode()
    good = "sha256=" + hmac.new(b"whsec_sample", body, hashlib.sha256).hexdigest()
    headers = {"Content-Type": "application/json"}
    bad = upstream.post("/fulfilment/orders", content=body, headers=headers)
    assert bad.status_code == 401
    ok = upstream.post("/fulfilment/orders", content=body, headers={**headers, "X-Signature": good})
    assert ok.status_code == 201
    assert ok.json() == {
        "customer": "A",
        "order_ref": "FUL-" + hashlib.sha256(body).hexdigest()[:10].upper(),
        "status": "accepted",
        "units": 2,
    }
