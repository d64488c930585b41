"""Sync SQLAlchemy vs the code ``sqlalchemy-to-asyncio`` makes of it, on the real PostgreSQL.

Each snippet is an ``async def case(session)`` written with the sync ORM API (legacy
``session.query`` included) against the notes sample's models. The legacy run executes it as a
plain ``def`` on a ``Session`` over psycopg2; the migrated run executes the rewritten code,
awaited, on an ``AsyncSession`` over asyncpg (``expire_on_commit=False``, as ASY402 makes it).
Both start from the notes seed in a throwaway database; their return values and the tables'
final contents must be equal. No skip: an unreachable database fails the tests.
"""

from __future__ import annotations

import asyncio
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg2
import pytest
import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from sqlalchemy.orm import Session

from asyncify.codemods import select, transform

NOTES = Path(__file__).resolve().parents[3] / "sample_projects" / "notes"
RECIPE = select("sqlalchemy-to-asyncio")


def _models() -> Any:
    # notes' models import only flask_sqlalchemy and sqlalchemy: no app, no request.
    sys.path.insert(0, str(NOTES))
    try:
        import notes.models as models
    finally:
        sys.path.remove(str(NOTES))
    return models


models = _models()

SNIPPETS = {
    "search-all": (
        "async def case(session):\n    pattern = '%engine%'\n    return (\n"
        "        session.query(Note)\n"
        "        .filter(or_(Note.title.ilike(pattern), Note.body.ilike(pattern)))\n"
        "        .order_by(Note.id)\n        .limit(3)\n        .all()\n    )\n"
    ),
    "count-with-filter": (
        "async def case(session):\n    return session.query(Note).filter_by(pinned=False).count()\n"
    ),
    "columns-outerjoin-group-by": (
        "async def case(session):\n    return (\n"
        "        session.query(Tag.name, func.count(note_tags.c.note_id))\n"
        "        .outerjoin(note_tags, note_tags.c.tag_id == Tag.id)\n"
        "        .group_by(Tag.name).order_by(Tag.name).all()\n    )\n"
    ),
    "first-keeps-limit-1": (
        "async def case(session):\n    return session.query(Note).order_by(Note.id.desc()).first()\n"
    ),
    "first-of-nothing": (
        "async def case(session):\n    return session.query(Note).filter_by(id=99).first()\n"
    ),
    "get-by-primary-key": (
        "async def case(session):\n    return session.query(User).get(2), session.get(User, 99)\n"
    ),
    "scalar-of-a-column": (
        "async def case(session):\n    return session.query(Note.title).filter_by(id=3).scalar()\n"
    ),
    "scalar-raises-on-several-rows": (
        "async def case(session):\n    try:\n"
        "        return session.query(Note.title).filter_by(pinned=True).scalar()\n"
        "    except MultipleResultsFound:\n        return 'several'\n"
    ),
    "one-or-none": (
        "async def case(session):\n"
        "    return session.query(Tag).filter_by(name='unused').one_or_none(), "
        "session.query(Tag).filter_by(name='nope').one_or_none()\n"
    ),
    "joinedload-collection": (
        "async def case(session):\n"
        "    notes = session.query(Note).options(joinedload(Note.tags)).order_by(Note.id).all()\n"
        "    return [(n.id, [t.name for t in n.tags]) for n in notes]\n"
    ),
    "execute-and-scalars": (
        "async def case(session):\n"
        "    total = session.execute(select(func.count(Note.id))).scalar_one()\n"
        "    ids = session.scalars(select(Note.id).where(Note.pinned)).all()\n"
        "    users = session.scalar(select(func.count()).select_from(User))\n"
        "    return total, ids, users\n"
    ),
    "delete-flush-commit": (
        "async def case(session):\n    note = session.get(Note, 6)\n    session.delete(note)\n"
        "    session.flush()\n    left = session.query(Note).count()\n    session.commit()\n"
        "    return left\n"
    ),
    "read-after-commit": (
        "async def case(session):\n    note = session.get(Note, 1)\n    note.title = 'Renamed'\n"
        "    session.add(Tag(name='fresh'))\n    session.commit()\n    return note.title\n"
    ),
    "bulk-delete-and-update": (
        "async def case(session):\n"
        "    gone = session.query(Note).filter_by(pinned=False).filter(Note.id > 4).delete()\n"
        "    moved = session.query(Note).filter(Note.notebook_id == 1).update(\n"
        "        {Note.pinned: True}, synchronize_session='fetch')\n"
        "    session.commit()\n    return gone, moved\n"
    ),
    "rollback": (
        "async def case(session):\n    note = session.get(Note, 2)\n    note.pinned = True\n"
        "    session.flush()\n    session.rollback()\n"
        "    return session.query(Note).filter_by(pinned=True).count()\n"
    ),
}

PRELUDE = (
    "from sqlalchemy import func, or_, select\n"
    "from sqlalchemy.exc import MultipleResultsFound\n"
    "from sqlalchemy.orm import joinedload\n"
    "from notes.models import Note, Tag, User, note_tags\n\n"
)


@pytest.fixture(scope="module")
def notes_url(postgres_dsn: str, sample_harness: Any) -> Iterator[str]:
    with sample_harness.temporary_database(
        postgres_dsn, "sqladiff", NOTES / "schema.sql", NOTES / "seed.sql"
    ) as url:
        yield url


def reseed(url: str) -> None:
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute((NOTES / "seed.sql").read_text(encoding="utf-8"))
    conn.close()


def tables(url: str) -> list[Any]:
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        out = []
        for table in ("users", "notebooks", "notes", "tags", "note_tags"):
            cur.execute(f"SELECT * FROM {table} ORDER BY 1, 2")
            out.append(cur.fetchall())
    conn.close()
    return out


def plain(value: Any) -> Any:
    """ORM objects by class and primary key; rows and lists element by element."""
    if isinstance(value, models.db.Model):
        return (type(value).__name__, value.id)
    if isinstance(value, list | tuple | sa.Row):
        return [plain(v) for v in value]
    return value


def namespace(source: str) -> dict[str, Any]:
    scope: dict[str, Any] = {}
    exec(compile(source, "<snippet>", "exec"), scope)
    return scope


def legacy(url: str, snippet: str) -> Any:
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg2://", 1))
    try:
        with Session(engine) as session, warnings.catch_warnings():
            warnings.simplefilter("ignore", sa_exc.LegacyAPIWarning)  # Query.get
            case = namespace(PRELUDE + snippet.replace("async def", "def"))["case"]
            return plain(case(session))
    finally:
        engine.dispose()


def migrated_source(snippet: str) -> str:
    outcome = transform("snippet.py", (PRELUDE + snippet).encode(), RECIPE)
    assert outcome.status == "changed", outcome.reason
    assert not outcome.todos, outcome.todos
    return outcome.new.decode() if outcome.new else ""


def migrated(url: str, source: str) -> Any:
    async def main() -> Any:
        engine = create_async_engine(url.replace("postgresql://", "postgresql+asyncpg://", 1))
        try:
            async with AsyncSession(engine, expire_on_commit=False) as session:
                return plain(await namespace(source)["case"](session))
        finally:
            await engine.dispose()

    return asyncio.run(main())


@pytest.mark.parametrize("name", sorted(SNIPPETS))
def test_same_results_and_same_tables(name: str, notes_url: str) -> None:
    snippet = SNIPPETS[name]
    sys.path.insert(0, str(NOTES))
    try:
        reseed(notes_url)
        expected = legacy(notes_url, snippet)
        expected_tables = tables(notes_url)
        reseed(notes_url)
        source = migrated_source(snippet)
        assert migrated(notes_url, source) == expected, source
        assert tables(notes_url) == expected_tables
    finally:
        sys.path.remove(str(NOTES))


def test_a_lazy_load_fails_under_asyncio_which_is_why_asy406_marks_it(notes_url: str) -> None:
    snippet = "async def case(session):\n    return [t.name for t in session.get(Note, 1).tags]\n"
    reseed(notes_url)
    assert legacy(notes_url, snippet) == ["history", "math"]
    with pytest.raises(sa_exc.MissingGreenlet):
        migrated(notes_url, migrated_source(snippet))
    models_py = (NOTES / "notes" / "models.py").read_bytes()
    outcome = transform("models.py", models_py, ["ASY406"])
    assert [t.rule for t in outcome.todos] == ["ASY406"] * 7  # every relationship
