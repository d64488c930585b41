"""/api users, notebooks, tags, search and stats, and the app's /health."""

from __future__ import annotations

import pytest
from notes.models import Notebook

# What the legacy views make SQLAlchemy say: Query.get_or_404 is its legacy API, and
# create_note autoflushes a Note it has not added yet (the add that follows adds it).
pytestmark = [
    pytest.mark.filterwarnings("ignore::sqlalchemy.exc.LegacyAPIWarning"),
    pytest.mark.filterwarnings("ignore:Object of type <Note> not in session:"
                               "sqlalchemy.exc.SAWarning"),
]

AUTH = {"Authorization": "Bearer t0ken", "Accept": "application/json"}


def test_health(client):
    response = client.get("/health", headers=AUTH)
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_user_with_notebooks(client):
    body = client.get("/api/users/1").get_json()
    assert body["user"] == {"id": 1, "username": "ada", "display_name": "Ada Lovelace"}
    assert body["notebooks"] == [{"id": 1, "title": "Engines"}, {"id": 2, "title": "Letters"}]
    assert client.get("/api/users/4").status_code == 404


def test_notebook_detail(client):
    response = client.get("/api/notebooks/3", headers=AUTH)
    assert response.status_code == 200
    notebook = response.get_json()
    assert notebook["owner"]["username"] == "grace"
    assert [note["id"] for note in notebook["notes"]] == [4, 5, 6]


def test_create_notebook(client, app):
    response = client.post("/api/notebooks", json={"title": "Sketches", "owner_id": 3},
                           headers=AUTH)
    assert response.status_code == 201
    assert response.get_json()["id"] == 4
    with app.app_context():
        assert Notebook.query.filter_by(owner_id=3).count() == 1
    assert client.get("/api/users/3").get_json()["notebooks"] == [{"id": 4, "title": "Sketches"}]


def test_create_notebook_refuses_bad_bodies(client):
    unknown = client.post("/api/notebooks", json={"title": "x", "owner_id": 42})
    assert unknown.status_code == 400
    assert unknown.get_json()["message"] == "owner_id names no user"
    assert client.post("/api/notebooks", data=b"x").status_code == 400
    assert client.get("/api/stats").get_json()["notebooks"] == 3


def test_tags(client):
    tags = client.get("/api/tags").get_json()["tags"]
    assert {"name": "history", "notes": 3} in tags and {"name": "unused", "notes": 0} in tags
    math = client.get("/api/tags/math/notes").get_json()
    assert [note["id"] for note in math["notes"]] == [1, 2]
    missing = client.get("/api/tags/nope/notes")
    assert missing.status_code == 404
    assert missing.get_json()["message"] == "no such tag"


def test_search(client):
    response = client.get("/api/search", query_string={"q": "ENGINE", "limit": 2})
    assert response.status_code == 200
    body = response.get_json()
    assert (body["total"], [note["id"] for note in body["items"]]) == (4, [1, 2])
    needs_q = client.get("/api/search?q=%20")
    assert needs_q.status_code == 400
    assert needs_q.get_json() == {"error": "Bad Request", "message": "q is required"}


def test_stats_follow_writes(client):
    before = client.get("/api/stats").get_json()
    assert before == {"users": 3, "notebooks": 3, "notes": 6, "pinned": 2, "tags": 4}
    client.post("/api/notes/", json={"title": "t", "notebook_id": 1, "author_id": 2,
                                     "pinned": True, "tags": ["new"]})
    after = client.get("/api/stats").get_json()
    assert after == {"users": 3, "notebooks": 3, "notes": 7, "pinned": 3, "tags": 5}
