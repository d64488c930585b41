"""/api users, notebooks, tags, search, stats; and /health."""

from __future__ import annotations

from typing import Any

import httpx

from .test_notes import SUMMARIES

ADA = {"id": 1, "username": "ada", "display_name": "Ada Lovelace"}
GRACE = {"id": 2, "username": "grace", "display_name": "Grace Hopper"}


def test_health(client: httpx.Client) -> None:
    assert client.get("/health").json() == {"status": "ok"}


def test_user_with_notebooks(client: httpx.Client) -> None:
    assert client.get("/api/users/1").json() == {
        "user": ADA, "notebooks": [{"id": 1, "title": "Engines"}, {"id": 2, "title": "Letters"}]}
    assert client.get("/api/users/3").json()["notebooks"] == []
    assert client.get("/api/users/4").status_code == 404


def test_notebook_detail(client: httpx.Client) -> None:
    assert client.get("/api/notebooks/3").json() == {
        "id": 3, "title": "Compilers", "owner": GRACE, "created_at": "2024-03-03T09:00:00+00:00",
        "notes": [{"id": 4, "title": "A-0 System"}, {"id": 5, "title": "COBOL"},
                  {"id": 6, "title": "Guest note"}],
    }
    assert client.get("/api/notebooks/9").status_code == 404


def test_create_notebook(client: httpx.Client, query: Any) -> None:
    response = client.post("/api/notebooks", json={"title": "Sketches", "owner_id": 3})
    assert response.status_code == 201
    body = response.json()
    assert body.pop("created_at").endswith("+00:00")
    assert body == {"id": 4, "title": "Sketches", "notes": [],
                    "owner": {"id": 3, "username": "edsger", "display_name": "Edsger W. Dijkstra"}}
    assert query("SELECT owner_id, title FROM notebooks WHERE id = 4") == [(3, "Sketches")]
    assert client.get("/api/users/3").json()["notebooks"] == [{"id": 4, "title": "Sketches"}]


def test_create_notebook_refuses_unknown_owner_and_bad_bodies(client: httpx.Client,
                                                              query: Any) -> None:
    response = client.post("/api/notebooks", json={"title": "x", "owner_id": 42})
    assert (response.status_code, response.json()["message"]) == (400, "owner_id names no user")
    assert client.post("/api/notebooks", json={"owner_id": 1}).status_code == 400
    assert client.post("/api/notebooks", content=b"x").status_code == 400
    assert query("SELECT count(*) FROM notebooks") == [(3,)]


def test_tags_with_counts(client: httpx.Client) -> None:
    assert client.get("/api/tags").json() == {"tags": [
        {"name": "compilers", "notes": 2}, {"name": "history", "notes": 3},
        {"name": "math", "notes": 2}, {"name": "unused", "notes": 0}]}


def test_tag_notes(client: httpx.Client) -> None:
    assert client.get("/api/tags/math/notes").json() == {
        "tag": "math", "notes": [SUMMARIES[1], SUMMARIES[2]]}
    assert client.get("/api/tags/unused/notes").json() == {"tag": "unused", "notes": []}
    missing = client.get("/api/tags/nope/notes")
    assert (missing.status_code, missing.json()["message"]) == (404, "no such tag")


def test_search(client: httpx.Client) -> None:
    body = client.get("/api/search", params={"q": "ENGINE"}).json()
    assert body == {"query": "ENGINE", "total": 4,
                    "items": [SUMMARIES[1], SUMMARIES[2], SUMMARIES[3], SUMMARIES[6]]}
    limited = client.get("/api/search", params={"q": "engine", "limit": 2}).json()
    assert (limited["total"], [n["id"] for n in limited["items"]]) == (4, [1, 2])
    assert client.get("/api/search", params={"q": "café"}).json()["total"] == 1
    assert client.get("/api/search", params={"q": "nothing-matches"}).json()["items"] == []


def test_search_needs_a_query(client: httpx.Client) -> None:
    response = client.get("/api/search", params={"q": "  "})
    assert response.status_code == 400
    assert response.json() == {"error": "Bad Request", "message": "q is required"}


def test_stats_follow_writes(client: httpx.Client) -> None:
    assert client.get("/api/stats").json() == {
        "users": 3, "notebooks": 3, "notes": 6, "pinned": 2, "tags": 4}
    client.delete("/api/notes/1")
    assert client.get("/api/stats").json() == {
        "users": 3, "notebooks": 3, "notes": 5, "pinned": 1, "tags": 4}
