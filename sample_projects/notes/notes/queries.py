"""Queries that take the session as an argument (no Flask in here): the part of the service
that other code (a CLI, a worker) shares, written in the legacy ``session.query`` style."""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from .models import Note, Notebook, Tag, User, note_tags


def search_notes(session: Session, text: str, limit: int) -> list[Note]:
    pattern = f"%{text}%"
    return (
        session.query(Note)
        .filter(or_(Note.title.ilike(pattern), Note.body.ilike(pattern)))
        .order_by(Note.id)
        .limit(limit)
        .all()
    )


def count_matches(session: Session, text: str) -> int:
    pattern = f"%{text}%"
    return session.query(Note).filter(or_(Note.title.ilike(pattern), Note.body.ilike(pattern))).count()


def tag_counts(session: Session) -> list[tuple[str, int]]:
    rows = (
        session.query(Tag.name, func.count(note_tags.c.note_id))
        .outerjoin(note_tags, note_tags.c.tag_id == Tag.id)
        .group_by(Tag.name)
        .order_by(Tag.name)
        .all()
    )
    return [(name, count) for name, count in rows]


def tags_by_name(session: Session, names: list[str]) -> list[Tag]:
    """The tags called ``names``, in that order, creating the missing ones (flushed)."""
    existing = {tag.name: tag for tag in session.query(Tag).filter(Tag.name.in_(names)).all()}
    for name in names:
        if name not in existing:
            existing[name] = Tag(name=name)
            session.add(existing[name])
    session.flush()
    return [existing[name] for name in names]


def find_user(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def stats(session: Session) -> dict[str, int]:
    return {
        "users": session.scalar(select(func.count()).select_from(User)) or 0,
        "notebooks": session.query(Notebook).count(),
        "notes": session.execute(select(func.count(Note.id))).scalar_one(),
        "pinned": session.query(Note).filter_by(pinned=True).count(),
        "tags": len(session.scalars(select(Tag.id)).all()),
    }
