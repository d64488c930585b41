"""ASY4xx fixtures beyond the rules' own examples (which test_rule_examples.py runs): no-op
cases first, each with the reason it must not change, then rewrites checked byte for byte.
Every output parses, and a second run over it changes nothing."""

from __future__ import annotations

import ast

import pytest

from asyncify.codemods import select, transform

RECIPE = select("sqlalchemy-to-asyncio")
LINK = "https://asyncify.readthedocs.io/en/latest/rules/"

NOOP = [
    pytest.param(
        "import sqlalchemy\n\ndef titles(session):\n"
        "    session.commit()\n    return session.query(Note).all()\n",
        id="sync-function-keeps-its-session",
    ),
    pytest.param(
        "import sqlalchemy\nfrom flask import session\n\nasync def theme():\n"
        "    return session.get('theme')\n",
        id="flask-cookie-session",
    ),
    pytest.param(
        "import requests\n\nclass Api:\n    async def get(self, url):\n"
        "        return self.session.get(url)\n",
        id="requests-session-in-a-file-without-sqlalchemy",
    ),
    pytest.param(
        "import sqlalchemy\n\nasync def f(search):\n    return search.query(Note).all()\n",
        id="receiver-not-known-to-be-a-session",
    ),
    pytest.param(
        "from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine\n\n"
        "engine = create_async_engine('postgresql+asyncpg://db/app')\n\n"
        "async def f(session: AsyncSession):\n"
        "    await session.commit()\n    return (await session.scalars(select(Note))).all()\n",
        id="already-asyncio",
    ),
    pytest.param(
        "from sqlalchemy import create_engine\n\nengine = create_engine('mysql+pymysql://db/app')\n",
        id="not-postgresql",
    ),
    pytest.param(
        "from sqlalchemy.orm import relationship\n\nclass Note(Base):\n"
        "    tags = relationship('Tag', lazy='raise')\n",
        id="relationship-that-never-lazy-loads",
    ),
]

REWRITES = [
    pytest.param(
        "import sqlalchemy\n\nasync def f(session):\n"
        "    return session.query(Note.id, Note.title).filter_by(pinned=True).one()\n",
        "import sqlalchemy\nfrom sqlalchemy import select\n\nasync def f(session):\n"
        "    return (await session.execute(select(Note.id, Note.title).filter_by(pinned=True)))"
        ".one()\n",
        id="columns-give-rows-via-execute",
    ),
    pytest.param(
        "import sqlalchemy\n\nasync def f(session):\n"
        "    return session.query(Note).filter(Note.id > 1).scalar()\n",
        "import sqlalchemy\nfrom sqlalchemy import select\n\nasync def f(session):\n"
        "    return (await session.execute(select(Note).filter(Note.id > 1)))"
        ".scalar_one_or_none()\n",
        id="scalar-keeps-its-error-on-several-rows",
    ),
    pytest.param(
        "import sqlalchemy\n\nasync def f(session):\n"
        "    q = session.query(Note)\n    return q.all()\n",
        "import sqlalchemy\n\nasync def f(session):\n"
        f"    # TODO[asyncify ASY403]: a Query kept as a value: build select(...) and run it with "
        f"await session.scalars(...)/execute(...) where it is used — {LINK}#asy403\n"
        "    q = session.query(Note)\n    return q.all()\n",
        id="query-kept-in-a-variable",
    ),
    pytest.param(
        "from .extensions import db\n\nasync def f():\n"
        "    q = Note.query.filter_by(pinned=True)\n    return q.all()\n",
        "from .extensions import db\n\nasync def f():\n"
        f"    # TODO[asyncify ASY404]: a Query kept as a value: build select(...) and run it with "
        f"await session.scalars(...)/execute(...) where it is used — {LINK}#asy404\n"
        "    q = Note.query.filter_by(pinned=True)\n    return q.all()\n",
        id="model-query-kept-in-a-variable",
    ),
    pytest.param(
        "import sqlalchemy\n\nasync def f(session):\n"
        "    return session.query(Note).with_entities(Note.id).all()\n",
        "import sqlalchemy\n\nasync def f(session):\n"
        "    # TODO[asyncify ASY403]: Query.with_entities() has no select() equivalent with the "
        "same meaning: rewrite this query as select(...) run with await session.execute(...) — "
        f"{LINK}#asy403\n"
        "    return session.query(Note).with_entities(Note.id).all()\n",
        id="builder-without-a-select-twin",
    ),
    pytest.param(
        "from sqlalchemy.orm import Session, sessionmaker\n"
        "from sqlalchemy import create_engine\n\n"
        "engine = create_engine('postgresql://app@db/notes')\n"
        "SessionLocal = sessionmaker(engine)\n\n"
        "async def rename(note_id: int, title: str) -> None:\n"
        "    with SessionLocal() as session:\n"
        "        note = session.query(Note).get(note_id)\n"
        "        note.title = title\n"
        "        session.add(note)\n"
        "        session.commit()\n"
        "        session.refresh(note)\n",
        "from sqlalchemy.orm import Session, sessionmaker\n"
        "from sqlalchemy import create_engine\n"
        "from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine\n\n"
        "engine = create_async_engine('postgresql+asyncpg://app@db/notes')\n"
        "SessionLocal = async_sessionmaker(engine, expire_on_commit=False)\n\n"
        "async def rename(note_id: int, title: str) -> None:\n"
        "    async with SessionLocal() as session:\n"
        "        note = await session.get(Note, note_id)\n"
        "        note.title = title\n"
        "        session.add(note)\n"
        "        await session.commit()\n"
        "        await session.refresh(note)\n",
        id="whole-recipe-on-a-unit-of-work",
    ),
    pytest.param(
        "from .extensions import db\n\nasync def drop(note_id):\n"
        "    note = Note.query.filter_by(id=note_id).first_or_404()\n"
        "    db.session.delete(note)\n    db.session.commit()\n",
        "from sqlalchemy import select\nfrom asyncify.compat import first_or_404\n"
        "from .extensions import db\n\n"
        "# TODO[asyncify ASY404]: db.session is Flask-SQLAlchemy's sync session: in async code "
        "it must be the request's AsyncSession (docs/sqlalchemy.md, 'db.session') — "
        f"{LINK}#asy404\n"
        "# TODO[asyncify ASY405]: db.session is Flask-SQLAlchemy's sync session: in async code "
        "it must be the request's AsyncSession (docs/sqlalchemy.md, 'db.session') — "
        f"{LINK}#asy405\n"
        "async def drop(note_id):\n"
        "    note = await first_or_404(db.session, select(Note).filter_by(id=note_id).limit(1))\n"
        "    await db.session.delete(note)\n    await db.session.commit()\n",
        id="flask-sqlalchemy-delete-view",
    ),
    pytest.param(
        "from sqlalchemy.orm import joinedload\n\nasync def f(session):\n"
        "    return (\n        session.query(Note)\n"
        "        .options(joinedload(Note.tags))\n        .first()\n    )\n",
        "from sqlalchemy.orm import joinedload\nfrom sqlalchemy import select\n\n"
        "async def f(session):\n"
        "    return (\n        (await session.scalars(select(Note)\n"
        "        .options(joinedload(Note.tags)).limit(1))).unique().first()\n    )\n",
        id="multi-line-chain-with-joinedload",
    ),
]


def run(source: str) -> tuple[str, str]:
    outcome = transform("fixture.py", source.encode(), RECIPE)
    assert outcome.status in ("changed", "unchanged"), outcome.reason
    return outcome.status, (outcome.new or source.encode()).decode()


@pytest.mark.parametrize("source", NOOP)
def test_noop(source: str) -> None:
    assert run(source) == ("unchanged", source)


@pytest.mark.parametrize(("before", "after"), REWRITES)
def test_rewrite(before: str, after: str) -> None:
    status, new = run(before)
    assert status == "changed"
    assert new == after
    ast.parse(new)
    assert run(new) == ("unchanged", new), "a second run must change nothing"
