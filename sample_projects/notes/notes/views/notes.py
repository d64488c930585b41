"""/api/notes: list (paginated), read, create, update, delete."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, request

from .. import queries
from ..extensions import db
from ..models import Note, Notebook
from ..serializers import note_json
from ..validation import Invalid, require_id, require_text, tag_list

bp = Blueprint("notes", __name__)


def _body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        abort(400, description="expected a JSON object")
    return data


@bp.get("/")
def list_notes() -> dict[str, Any]:
    page = request.args.get("page", 1, type=int)
    per_page = request.args.get("per_page", 3, type=int)
    found = Note.query.order_by(Note.pinned.desc(), Note.id).paginate(
        page=page, per_page=per_page, max_per_page=20, error_out=False
    )
    return {
        "items": [note_json(note, with_body=False) for note in found.items],
        "page": found.page,
        "pages": found.pages,
        "total": found.total,
        "has_next": found.has_next,
    }


@bp.get("/<int:note_id>")
def get_note(note_id: int) -> dict[str, Any]:
    note = Note.query.get_or_404(note_id)
    return note_json(note)


@bp.post("/")
def create_note() -> tuple[dict[str, Any], int]:
    data = _body()
    try:
        title = require_text(data, "title")
        notebook_id = require_id(data, "notebook_id")
        author_id = require_id(data, "author_id")
        tags = tag_list(data)
    except Invalid as exc:
        abort(400, description=str(exc))
    notebook = db.get_or_404(Notebook, notebook_id, description="no such notebook")
    if queries.find_user(db.session, author_id) is None:
        abort(400, description="author_id names no user")
    note = Note(title=title, body=str(data.get("body", "")), pinned=bool(data.get("pinned")),
                notebook=notebook, author_id=author_id)
    note.tags = queries.tags_by_name(db.session, tags)
    db.session.add(note)
    db.session.commit()
    # expire_on_commit: every attribute read below reloads the note from the database.
    return note_json(note), 201


@bp.patch("/<int:note_id>")
def update_note(note_id: int) -> dict[str, Any]:
    note = Note.query.get_or_404(note_id)
    data = _body()
    try:
        if "title" in data:
            note.title = require_text(data, "title")
        if "tags" in data:
            note.tags = queries.tags_by_name(db.session, tag_list(data))
    except Invalid as exc:
        abort(400, description=str(exc))
    if "body" in data:
        note.body = str(data["body"])
    if "pinned" in data:
        note.pinned = bool(data["pinned"])
    db.session.commit()
    return note_json(note)


@bp.delete("/<int:note_id>")
def delete_note(note_id: int) -> tuple[str, int]:
    note = Note.query.filter_by(id=note_id).first_or_404()
    db.session.delete(note)
    db.session.commit()
    return "", 204
