"""/api/notes: list, read, create, update, delete; writes checked through the models."""

from __future__ import annotations

import pytest
from notes.extensions import db
from notes.models import Note

# What the legacy views make SQLAlchemy say: Query.get_or_404 is its legacy API, and
# create_note autoflushes a Note it has not added yet (the add that follows adds it).
pytestmark = [
    pytest.mark.filterwarnings("ignore::sqlalchemy.exc.LegacyAPIWarning"),
    pytest.mark.filterwarnings("ignore:Object of type <Note> not in session:"
                               "sqlalchemy.exc.SAWarning"),
]


def test_list_pinned_first(client):
    response = client.get("/api/notes/")
    assert response.status_code == 200
    body = response.get_json()
    assert [note["id"] for note in body["items"]] == [1, 4, 2]
    assert (body["page"], body["pages"], body["total"], body["has_next"]) == (1, 2, 6, True)
    assert "body" not in body["items"][0]


def test_list_paging(client):
    body = client.get("/api/notes/", query_string={"page": 2, "per_page": 4}).get_json()
    assert [note["id"] for note in body["items"]] == [5, 6]
    assert body["has_next"] is False
    assert client.get("/api/notes/?page=x").get_json()["page"] == 1
    assert client.get("/api/notes/?page=9").get_json()["items"] == []


def test_note_detail(client):
    response = client.get("/api/notes/3")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    note = response.get_json()
    assert note["title"] == "To Babbage"
    assert note["notebook"] == {"id": 2, "title": "Letters"}
    assert note["author"] == "ada" and note["tags"] == []
    assert note["body"] == "On the engine's notation — café, naïve."
    assert b"caf\\u00e9" in response.data  # Flask's JSON provider escapes non-ASCII


def test_missing_note_is_a_json_404(client):
    response = client.get("/api/notes/99")
    assert response.status_code == 404
    assert response.get_json()["error"] == "Not Found"


def test_create_note(client, app):
    response = client.post("/api/notes/", json={
        "title": " New idea ", "body": "b", "notebook_id": 2, "author_id": 1,
        "tags": ["Math", "fresh", "math"],
    })
    assert response.status_code == 201
    created = response.get_json()
    assert (created["id"], created["title"], created["tags"]) == (7, "New idea", ["fresh", "math"])
    with app.app_context():
        note = db.session.get(Note, 7)
        assert note is not None and note.notebook_id == 2
        assert sorted(tag.name for tag in note.tags) == ["fresh", "math"]


def test_create_note_refuses_bad_input(client, app):
    missing_title = client.post("/api/notes/", json={"notebook_id": 1, "author_id": 1})
    assert missing_title.status_code == 400
    assert missing_title.get_json()["message"] == "title must be a non-empty string"
    no_notebook = client.post("/api/notes/", json={"title": "x", "notebook_id": 42,
                                                   "author_id": 1})
    assert no_notebook.status_code == 404
    assert no_notebook.get_json()["message"] == "no such notebook"
    with app.app_context():
        assert db.session.query(Note).count() == 6


def test_create_note_needs_a_json_object(client):
    form = client.post("/api/notes/", data={"title": "x", "notebook_id": "1"})
    assert form.status_code == 400
    assert form.get_json()["message"] == "expected a JSON object"
    array = client.post("/api/notes/", data="[1]", content_type="application/json")
    assert array.status_code == 400
    assert b"expected a JSON object" in array.data


def test_update_note(client, app):
    response = client.patch("/api/notes/2", json={"title": "Renamed", "pinned": True,
                                                  "tags": ["history"]})
    assert response.status_code == 200
    assert response.get_json()["tags"] == ["history"]
    with app.app_context():
        note = db.session.get(Note, 2)
        assert (note.title, note.pinned) == ("Renamed", True)
    assert client.get("/api/notes/").get_json()["items"][1]["id"] == 2  # now pinned


def test_update_with_a_bad_title_changes_nothing(client):
    response = client.patch("/api/notes/2", json={"title": " ", "body": "changed"})
    assert response.status_code == 400
    assert client.get("/api/notes/2").get_json()["body"] == "Note G: a program for the engine."


def test_delete_note(client, app):
    response = client.delete("/api/notes/6")
    assert response.status_code == 204
    assert response.data == b""
    assert client.get("/api/notes/6").status_code == 404
    assert client.delete("/api/notes/6").status_code == 404
    with app.app_context():
        assert db.session.get(Note, 6) is None


def test_put_is_not_allowed(client):
    response = client.put("/api/notes/1", json={"title": "x"})
    assert response.status_code == 405
    assert client.get("/api/notes/1").get_json()["title"] == "Analytical engine"
