"""Models → JSON-ready dicts. Every relationship read here is a lazy load (a query)."""

from __future__ import annotations

from typing import Any

from .models import Note, Notebook, User


def user_json(user: User) -> dict[str, Any]:
    return {"id": user.id, "username": user.username, "display_name": user.display_name}


def note_json(note: Note, *, with_body: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": note.id,
        "title": note.title,
        "pinned": note.pinned,
        "notebook": {"id": note.notebook.id, "title": note.notebook.title},
        "author": note.author.username,
        "tags": [tag.name for tag in note.tags],
        "created_at": note.created_at.isoformat(),
    }
    if with_body:
        out["body"] = note.body
    return out


def notebook_json(notebook: Notebook) -> dict[str, Any]:
    return {
        "id": notebook.id,
        "title": notebook.title,
        "owner": user_json(notebook.owner),
        "created_at": notebook.created_at.isoformat(),
        "notes": [{"id": n.id, "title": n.title} for n in notebook.notes],
    }
