# Async twin of notes.queries, written by `asyncify apply` (re-run it; do not edit).
# What is not here comes from the legacy module.
"""Queries that take the session as an argument (no Flask in here): the part of the service
that other code (a CLI, a worker) shares, written in the legacy ``session.query`` style."""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from notes.models import Note, Notebook, Tag, User, note_tags


async def search_notes(session: AsyncSession, text: str, limit: int) -> list[Note]:
    pattern = f"%{text}%"
    return (
        (await session.scalars(select(Note)
        .filter(or_(Note.title.ilike(pattern), Note.body.ilike(pattern)))
        .order_by(Note.id)
        .limit(limit))).all()
    )


async def count_matches(session: AsyncSession, text: str) -> int:
    pattern = f"%{text}%"
    return await session.scalar(select(func.count()).select_from(select(Note).filter(or_(Note.title.ilike(pattern), Note.body.ilike(pattern))).subquery()))


async def tag_counts(session: AsyncSession) -> list[tuple[str, int]]:
    rows = (
        (await session.execute(select(Tag.name, func.count(note_tags.c.note_id))
        .outerjoin(note_tags, note_tags.c.tag_id == Tag.id)
        .group_by(Tag.name)
        .order_by(Tag.name))).all()
    )
    return [(name, count) for name, count in rows]


async def tags_by_name(session: AsyncSession, names: list[str]) -> list[Tag]:
    """The tags called ``names``, in that order, creating the missing ones (flushed)."""
    existing = {tag.name: tag for tag in (await session.scalars(select(Tag).filter(Tag.name.in_(names)))).all()}
    for name in names:
        if name not in existing:
            existing[name] = Tag(name=name)
            session.add(existing[name])
    await session.flush()
    return [existing[name] for name in names]


async def find_user(session: AsyncSession, user_id: int) -> User | None:
    return await session.get(User, user_id)


async def stats(session: AsyncSession) -> dict[str, int]:
    return {
        "users": await session.scalar(select(func.count()).select_from(User)) or 0,
        "notebooks": await session.scalar(select(func.count()).select_from(select(Notebook).subquery())),
        "notes": (await session.execute(select(func.count(Note.id)))).scalar_one(),
        "pinned": await session.scalar(select(func.count()).select_from(select(Note).filter_by(pinned=True).subquery())),
        "tags": len((await session.scalars(select(Tag.id))).all()),
    }
