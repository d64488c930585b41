# Async twin of notes.views.library, written by `asyncify apply` (re-run it; do not edit).
# What is not here comes from the legacy module.
"""/api: users, notebooks, tags, search and stats."""

from __future__ import annotations

from typing import Annotated, Any

from asyncify.compat import (
    FlaskJSONResponse,
    abort,
    first_or_404,
    flask_response,
    get_json_silent,
    get_or_404,
    lenient,
    request_session,
)
from fastapi import APIRouter, Depends, Query
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from notes.models import Notebook, Tag, User
from notes.serializers import note_json, notebook_json, user_json
from notes.validation import Invalid, require_id, require_text
from notes_async import queries

bp = APIRouter()


@bp.api_route("/notebooks", methods=["POST"], name="library.create_notebook")
async def create_notebook(
    json_body_silent: Annotated[Any, Depends(get_json_silent)],
    session: Annotated[AsyncSession, Depends(request_session)],
) -> tuple[dict[str, Any], int]:
    data = json_body_silent
    if not isinstance(data, dict):
        abort(400, description="expected a JSON object")
    try:
        title = require_text(data, "title")
        owner_id = require_id(data, "owner_id")
    except Invalid as exc:
        abort(400, description=str(exc))
    owner = (await session.scalars(select(User).filter_by(id=owner_id).limit(1))).first()
    if owner is None:
        abort(400, description="owner_id names no user")
    notebook = Notebook(title=title, owner=owner)
    session.add(notebook)
    await session.commit()
    session.expire_all()
    return flask_response(await session.run_sync(lambda _: notebook_json(notebook)), 201)


@bp.api_route("/tags", methods=["GET", "HEAD"], name="library.tags")
async def tags(session: Annotated[AsyncSession, Depends(request_session)]) -> dict[str, Any]:
    return FlaskJSONResponse(
        {"tags": [{"name": name, "notes": count} for name, count in await queries.tag_counts(session)]},
    )


@bp.api_route("/search", methods=["GET", "HEAD"], name="library.search")
async def search(
    q: Annotated[str, Query()] = "",
    limit: Annotated[int, Query(), lenient(int, 10)] = 10,
    *,
    session: Annotated[AsyncSession, Depends(request_session)],
) -> dict[str, Any]:
    text = q.strip()
    if not text:
        abort(400, description="q is required")
    limit = min(limit, 50)
    found = await queries.search_notes(session, text, limit)
    total = await queries.count_matches(session, text)
    return FlaskJSONResponse(await session.run_sync(lambda _: {
        "query": text,
        "total": total,
        "items": [note_json(note, with_body=False) for note in found],
    }))


@bp.api_route("/stats", methods=["GET", "HEAD"], name="library.stats")
async def stats(session: Annotated[AsyncSession, Depends(request_session)]) -> dict[str, int]:
    return flask_response(await queries.stats(session))


@bp.api_route("/users/{user_id:int}", methods=["GET", "HEAD"], name="library.user_detail")
async def user_detail(
    user_id: int,
    session: Annotated[AsyncSession, Depends(request_session)],
) -> dict[str, Any]:
    user = await get_or_404(session, User, user_id)
    return FlaskJSONResponse(await session.run_sync(lambda _: {
        "user": user_json(user),
        "notebooks": [{"id": nb.id, "title": nb.title} for nb in user.notebooks],
    }))


@bp.api_route(
    "/notebooks/{notebook_id:int}", methods=["GET", "HEAD"], name="library.notebook_detail"
)
async def notebook_detail(
    notebook_id: int,
    session: Annotated[AsyncSession, Depends(request_session)],
) -> dict[str, Any]:
    notebook = await get_or_404(session, Notebook, notebook_id)
    return flask_response(await session.run_sync(lambda _: notebook_json(notebook)))


@bp.api_route("/tags/{name}/notes", methods=["GET", "HEAD"], name="library.tag_notes")
async def tag_notes(
    name: str,
    session: Annotated[AsyncSession, Depends(request_session)],
) -> dict[str, Any]:
    tag = await first_or_404(session, select(Tag).filter_by(name=name).limit(1), description="no such tag")
    return FlaskJSONResponse(
        await session.run_sync(lambda _: {"tag": tag.name, "notes": [note_json(note, with_body=False) for note in tag.notes]}),
    )
