"""Endpoints with no I/O, and behaviour shared by every endpoint."""

from __future__ import annotations

import re

import httpx


def test_health(client: httpx.Client) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"status": "ok"}


def test_health_answers_head_for_load_balancer_probes(client: httpx.Client) -> None:
    response = client.head("/health")
    assert response.status_code == 200
    assert response.content == b""


def test_version(client: httpx.Client) -> None:
    response = client.get("/version")
    assert response.status_code == 200
    assert response.json() == {"name": "bookshop", "version": "1.4.2"}


def test_index_redirects_to_the_catalogue(client: httpx.Client) -> None:
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["location"] == "/api/books/"


def test_collection_without_trailing_slash_redirects_permanently(client: httpx.Client) -> None:
    response = client.get("/api/books", params={"page": 2})
    assert response.status_code == 308
    assert httpx.URL(response.headers["location"]).raw_path == b"/api/books/?page=2"


def test_unknown_route_is_a_json_404(client: httpx.Client) -> None:
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert response.json()["error"] == "not_found"


def test_wrong_method_is_a_json_405(client: httpx.Client) -> None:
    response = client.put("/health")
    assert response.status_code == 405
    assert response.json()["error"] == "method_not_allowed"


def test_request_id_is_echoed(client: httpx.Client) -> None:
    response = client.get("/health", headers={"X-Request-Id": "req-123"})
    assert response.headers["x-request-id"] == "req-123"


def test_request_id_is_generated_when_missing(client: httpx.Client) -> None:
    response = client.get("/health")
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["x-request-id"])
