"""/api: users, notebooks, tags, search and stats."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, request

from .. import queries
from ..extensions import db
from ..models import Notebook, Tag, User
from ..serializers import note_json, notebook_json, user_json
from ..validation import Invalid, require_id, require_text

bp = Blueprint("library", __name__)


@bp.get("/users/<int:user_id>")
def user_detail(user_id: int) -> dict[str, Any]:
    user = db.get_or_404(User, user_id)
    return {
        "user": user_json(user),
        "notebooks": [{"id": nb.id, "title": nb.title} for nb in user.notebooks],
    }


@bp.get("/notebooks/<int:notebook_id>")
def notebook_detail(notebook_id: int) -> dict[str, Any]:
    notebook = Notebook.query.get_or_404(notebook_id)
    return notebook_json(notebook)


@bp.post("/notebooks")
def create_notebook() -> tuple[dict[str, Any], int]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        abort(400, description="expected a JSON object")
    try:
        title = require_text(data, "title")
        owner_id = require_id(data, "owner_id")
    except Invalid as exc:
        abort(400, description=str(exc))
    owner = User.query.filter_by(id=owner_id).first()
    if owner is None:
        abort(400, description="owner_id names no user")
    notebook = Notebook(title=title, owner=owner)
    db.session.add(notebook)
    db.session.commit()
    return notebook_json(notebook), 201


@bp.get("/tags")
def tags() -> dict[str, Any]:
    return {"tags": [{"name": name, "notes": count} for name, count in queries.tag_counts(db.session)]}


@bp.get("/tags/<name>/notes")
def tag_notes(name: str) -> dict[str, Any]:
    tag = Tag.query.filter_by(name=name).first_or_404(description="no such tag")
    return {"tag": tag.name, "notes": [note_json(note, with_body=False) for note in tag.notes]}


@bp.get("/search")
def search() -> dict[str, Any]:
    text = request.args.get("q", "").strip()
    if not text:
        abort(400, description="q is required")
    limit = min(request.args.get("limit", 10, type=int), 50)
    found = queries.search_notes(db.session, text, limit)
    return {
        "query": text,
        "total": queries.count_matches(db.session, text),
        "items": [note_json(note, with_body=False) for note in found],
    }


@bp.get("/stats")
def stats() -> dict[str, int]:
    return queries.stats(db.session)
