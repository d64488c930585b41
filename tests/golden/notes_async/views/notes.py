# Async twin of notes.views.notes, written by `asyncify apply` (re-run it; do not edit).
# What is not here comes from the legacy module.
"""/api/notes: list (paginated), read, create, update, delete."""

from __future__ import annotations

from typing import Annotated, Any

from asyncify.compat import (
    FlaskJSONResponse,
    abort,
    first_or_404,
    flask_response,
    get_or_404,
    lenient,
    paginate,
    request_session,
)
from fastapi import APIRouter, Depends, Query
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from notes.models import Note, Notebook
from notes.serializers import note_json
from notes.validation import Invalid, require_id, require_text, tag_list
from notes.views.notes import _body
from notes_async import queries

bp = APIRouter()


@bp.api_route("/", methods=["GET", "HEAD"], name="notes.list_notes")
async def list_notes(
    page: Annotated[int, Query(), lenient(int, 1)] = 1,
    per_page: Annotated[int, Query(), lenient(int, 3)] = 3,
    *,
    session: Annotated[AsyncSession, Depends(request_session)],
) -> dict[str, Any]:
    found = await paginate(session, select(Note).order_by(Note.pinned.desc(), Note.id), page=page, per_page=per_page, max_per_page=20, error_out=False
    )
    return FlaskJSONResponse(await session.run_sync(lambda _: {
        "items": [note_json(note, with_body=False) for note in found.items],
        "page": found.page,
        "pages": found.pages,
        "total": found.total,
        "has_next": found.has_next,
    }))


@bp.api_route("/", methods=["POST"], name="notes.create_note")
async def create_note(
    session: Annotated[AsyncSession, Depends(request_session)],
) -> tuple[dict[str, Any], int]:
    data = _body()
    try:
        title = require_text(data, "title")
        notebook_id = require_id(data, "notebook_id")
        author_id = require_id(data, "author_id")
        tags = tag_list(data)
    except Invalid as exc:
        abort(400, description=str(exc))
    notebook = await get_or_404(session, Notebook, notebook_id, description="no such notebook")
    if await queries.find_user(session, author_id) is None:
        abort(400, description="author_id names no user")
    note = Note(title=title, body=str(data.get("body", "")), pinned=bool(data.get("pinned")),
                notebook=notebook, author_id=author_id)
    note.tags = await queries.tags_by_name(session, tags)
    session.add(note)
    await session.commit()
    session.expire_all()
    # expire_on_commit: every attribute read below reloads the note from the database.
    return flask_response(await session.run_sync(lambda _: note_json(note)), 201)


@bp.api_route("/{note_id:int}", methods=["GET", "HEAD"], name="notes.get_note")
async def get_note(
    note_id: int,
    session: Annotated[AsyncSession, Depends(request_session)],
) -> dict[str, Any]:
    note = await get_or_404(session, Note, note_id)
    return flask_response(await session.run_sync(lambda _: note_json(note)))


@bp.api_route("/{note_id:int}", methods=["PATCH"], name="notes.update_note")
async def update_note(
    note_id: int,
    session: Annotated[AsyncSession, Depends(request_session)],
) -> dict[str, Any]:
    note = await get_or_404(session, Note, note_id)
    data = _body()
    try:
        if "title" in data:
            note.title = require_text(data, "title")
        if "tags" in data:
            await session.refresh(note, ["tags"])
            note.tags = await queries.tags_by_name(session, tag_list(data))
    except Invalid as exc:
        abort(400, description=str(exc))
    if "body" in data:
        note.body = str(data["body"])
    if "pinned" in data:
        note.pinned = bool(data["pinned"])
    await session.commit()
    session.expire_all()
    return flask_response(await session.run_sync(lambda _: note_json(note)))


@bp.api_route("/{note_id:int}", methods=["DELETE"], name="notes.delete_note")
async def delete_note(
    note_id: int,
    session: Annotated[AsyncSession, Depends(request_session)],
) -> tuple[str, int]:
    note = await first_or_404(session, select(Note).filter_by(id=note_id).limit(1))
    await session.delete(note)
    await session.commit()
    session.expire_all()
    return flask_response("", 204)
