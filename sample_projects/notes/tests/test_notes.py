"""/api/notes: pagination, lazy relationships in the serializer, writes and their effects."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx
import pytest

NOT_FOUND = {
    "error": "Not Found",
    "message": "The requested URL was not found on the server. If you entered the URL manually "
    "please check your spelling and try again.",
}


def _summary(id: int, title: str, notebook: tuple[int, str], author: str, pinned: bool,
             tags: list[str], created: str) -> dict[str, Any]:
    return {"id": id, "title": title, "notebook": {"id": notebook[0], "title": notebook[1]},
            "author": author, "pinned": pinned, "tags": tags, "created_at": created}


ENGINES, LETTERS, COMPILERS = (1, "Engines"), (2, "Letters"), (3, "Compilers")
SUMMARIES = {
    1: _summary(1, "Analytical engine", ENGINES, "ada", True, ["history", "math"],
                "2024-03-01T10:00:00+00:00"),
    2: _summary(2, "Bernoulli numbers", ENGINES, "ada", False, ["math"],
                "2024-03-01T11:00:00+00:00"),
    3: _summary(3, "To Babbage", LETTERS, "ada", False, [], "2024-03-02T10:00:00+00:00"),
    4: _summary(4, "A-0 System", COMPILERS, "grace", True, ["compilers", "history"],
                "2024-03-03T10:00:00+00:00"),
    5: _summary(5, "COBOL", COMPILERS, "grace", False, ["compilers"],
                "2024-03-03T11:00:00+00:00"),
    6: _summary(6, "Guest note", COMPILERS, "ada", False, ["history"],
                "2024-03-03T12:00:00+00:00"),
}


def test_first_page_lists_pinned_notes_first(client: httpx.Client) -> None:
    response = client.get("/api/notes/")
    assert response.status_code == 200
    assert response.json() == {
        "items": [SUMMARIES[1], SUMMARIES[4], SUMMARIES[2]],
        "page": 1, "pages": 2, "total": 6, "has_next": True,
    }


def test_second_page_and_page_size(client: httpx.Client) -> None:
    assert client.get("/api/notes/", params={"page": 2}).json()["items"] == [
        SUMMARIES[3], SUMMARIES[5], SUMMARIES[6]]
    body = client.get("/api/notes/", params={"per_page": 4, "page": 2}).json()
    assert [n["id"] for n in body["items"]] == [5, 6]
    assert (body["pages"], body["has_next"]) == (2, False)


def test_page_past_the_end_is_empty_not_404(client: httpx.Client) -> None:
    # paginate(error_out=False): out-of-range pages are empty; a bad ?page= falls back to 1.
    assert client.get("/api/notes/", params={"page": 9}).json() == {
        "items": [], "page": 9, "pages": 2, "total": 6, "has_next": False}
    assert client.get("/api/notes/", params={"page": "x"}).json()["page"] == 1


def test_per_page_is_capped(client: httpx.Client) -> None:
    body = client.get("/api/notes/", params={"per_page": 500}).json()
    assert len(body["items"]) == 6 and body["pages"] == 1


def test_note_detail_has_body_and_relationships(client: httpx.Client) -> None:
    response = client.get("/api/notes/3")
    assert response.status_code == 200
    assert response.json() == {**SUMMARIES[3], "body": "On the engine's notation — café, naïve."}
    # Flask's JSON provider escapes non-ASCII.
    assert "caf\\u00e9" in response.text


def test_missing_note_is_404_json(client: httpx.Client) -> None:
    response = client.get("/api/notes/99")
    assert response.status_code == 404
    assert response.json() == NOT_FOUND
    assert client.get("/api/notes/-1").status_code == 404  # <int:> rejects negatives


def test_create_note_with_new_and_existing_tags(client: httpx.Client, query: Any) -> None:
    response = client.post("/api/notes/", json={
        "title": " New idea ", "body": "b", "notebook_id": 2, "author_id": 1,
        "tags": ["Math", "fresh", "math"],
    })
    assert response.status_code == 201
    body = response.json()
    created = body.pop("created_at")
    assert body == {"id": 7, "title": "New idea", "body": "b", "pinned": False,
                    "notebook": {"id": 2, "title": "Letters"}, "author": "ada",
                    "tags": ["fresh", "math"]}
    (stored,) = query("SELECT created_at FROM notes WHERE id = 7")
    assert datetime.fromisoformat(created) == stored[0]
    assert query("SELECT t.name FROM note_tags nt JOIN tags t ON t.id = nt.tag_id "
                 "WHERE nt.note_id = 7 ORDER BY t.name") == [("fresh",), ("math",)]
    assert query("SELECT count(*) FROM tags") == [(5,)]


@pytest.mark.parametrize(("payload", "status", "message"), [
    ({"title": "", "notebook_id": 1, "author_id": 1}, 400, "title must be a non-empty string"),
    ({"title": "x", "notebook_id": "1", "author_id": 1}, 400,
     "notebook_id must be a positive integer"),
    ({"title": "x", "notebook_id": 1, "author_id": 1, "tags": "a"}, 400,
     "tags must be a list of non-empty strings"),
    ({"title": "x", "notebook_id": 42, "author_id": 1}, 404, "no such notebook"),
    ({"title": "x", "notebook_id": 1, "author_id": 42}, 400, "author_id names no user"),
])
def test_create_note_refuses_bad_input(client: httpx.Client, query: Any, payload: dict[str, Any],
                                       status: int, message: str) -> None:
    response = client.post("/api/notes/", json=payload)
    assert (response.status_code, response.json()["message"]) == (status, message)
    assert query("SELECT count(*) FROM notes") == [(6,)]


def test_create_note_needs_a_json_object(client: httpx.Client) -> None:
    response = client.post("/api/notes/", content=b"[1]",
                           headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json() == {"error": "Bad Request", "message": "expected a JSON object"}


def test_update_note_replaces_tags(client: httpx.Client, query: Any) -> None:
    response = client.patch("/api/notes/2", json={"title": "Renamed", "tags": ["history"],
                                                  "pinned": True})
    assert response.status_code == 200
    assert response.json() == {**SUMMARIES[2], "title": "Renamed", "pinned": True,
                               "tags": ["history"], "body": "Note G: a program for the engine."}
    assert query("SELECT title, pinned FROM notes WHERE id = 2") == [("Renamed", True)]
    assert query("SELECT tag_id FROM note_tags WHERE note_id = 2") == [(1,)]


def test_update_missing_note_is_404(client: httpx.Client) -> None:
    assert client.patch("/api/notes/99", json={"title": "x"}).status_code == 404


def test_update_with_bad_title_changes_nothing(client: httpx.Client, query: Any) -> None:
    response = client.patch("/api/notes/2", json={"title": " ", "body": "changed"})
    assert response.status_code == 400
    assert query("SELECT title, body FROM notes WHERE id = 2") == [
        ("Bernoulli numbers", "Note G: a program for the engine.")]


def test_delete_note(client: httpx.Client, query: Any) -> None:
    response = client.delete("/api/notes/6")
    assert (response.status_code, response.content) == (204, b"")
    assert query("SELECT count(*) FROM notes WHERE id = 6") == [(0,)]
    assert query("SELECT count(*) FROM note_tags WHERE note_id = 6") == [(0,)]
    assert client.delete("/api/notes/6").json() == NOT_FOUND
