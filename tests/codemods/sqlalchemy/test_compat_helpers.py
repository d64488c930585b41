"""``asyncify.compat`` get_or_404 / first_or_404 / one_or_404 / paginate vs Flask-SQLAlchemy
3.1 itself, on the notes database: same objects, same Pagination fields, same 404s (the
compat ones raise ``FlaskHTTPException``, whose ``detail`` is Werkzeug's text). And
``async_url`` / ``run_sync``."""

from __future__ import annotations

import asyncio
import sys
import warnings
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import LegacyAPIWarning
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from werkzeug.exceptions import NotFound

from asyncify.compat import (
    FlaskHTTPException,
    async_url,
    first_or_404,
    get_or_404,
    one_or_404,
    paginate,
    run_sync,
)
from asyncify.compat._sqla import require_driver

NOTES = Path(__file__).resolve().parents[3] / "sample_projects" / "notes"


@pytest.fixture(scope="module")
def notes_url(postgres_dsn: str, sample_harness: Any) -> Iterator[str]:
    with sample_harness.temporary_database(
        postgres_dsn, "sqlacompat", NOTES / "schema.sql", NOTES / "seed.sql"
    ) as url:
        yield url


@pytest.fixture(scope="module")
def app(notes_url: str) -> Iterator[Any]:
    sys.path.insert(0, str(NOTES))
    try:
        from notes.app import create_app
        from notes.extensions import db

        mp = pytest.MonkeyPatch()
        mp.setenv("DATABASE_URL", notes_url)
        flask_app = create_app()
        mp.undo()
        yield flask_app
        with flask_app.app_context():
            db.engine.dispose()
    finally:
        sys.path.remove(str(NOTES))


def legacy(app: Any, fn: Callable[[], Any]) -> Any:
    """Run ``fn`` in an app context; a 404 becomes ``("404", description)``."""
    with app.app_context(), warnings.catch_warnings():
        # Flask-SQLAlchemy's Query.get_or_404 calls the legacy Query.get.
        warnings.simplefilter("ignore", LegacyAPIWarning)
        try:
            return shape(fn())
        except NotFound as exc:
            return ("404", exc.description)


def migrated(url: str, fn: Callable[[AsyncSession], Awaitable[Any]]) -> Any:
    async def main() -> Any:
        engine = create_async_engine(async_url(url))
        try:
            async with AsyncSession(engine, expire_on_commit=False) as session:
                try:
                    return shape(await fn(session))
                except FlaskHTTPException as exc:
                    assert exc.status_code == 404
                    return ("404", exc.detail)
        finally:
            await engine.dispose()

    return asyncio.run(main())


def shape(value: Any) -> Any:
    if hasattr(value, "items") and hasattr(value, "has_next"):  # a Pagination
        return {name: getattr(value, name) for name in (
            "page", "per_page", "total", "pages", "has_next", "has_prev", "next_num",
            "prev_num", "first", "last")} | {"items": [n.id for n in value.items]}
    return getattr(value, "id", value)


@pytest.mark.parametrize(("page", "per_page", "max_per_page", "error_out"), [
    (1, 3, 20, False), (2, 3, 20, False), (9, 3, 20, False), (9, 3, 20, True),
    (0, 3, 20, True), (0, 3, 20, False), (1, 500, 4, True), (1, 0, None, False),
    (2, 6, None, True),
])
def test_paginate_matches_flask_sqlalchemy(app: Any, notes_url: str, page: int, per_page: int,
                                           max_per_page: int | None, error_out: bool) -> None:
    from notes.models import Note

    def order(stmt: Any) -> Any:
        return stmt.order_by(Note.pinned.desc(), Note.id)

    expected = legacy(app, lambda: order(Note.query).paginate(
        page=page, per_page=per_page, max_per_page=max_per_page, error_out=error_out))
    got = migrated(notes_url, lambda s: paginate(
        s, order(sa.select(Note)), page=page, per_page=per_page, max_per_page=max_per_page,
        error_out=error_out))
    assert got == expected


@pytest.mark.parametrize("ident", [1, 5, 99])
def test_get_or_404_matches(app: Any, notes_url: str, ident: int) -> None:
    from notes.extensions import db
    from notes.models import Note, User

    assert migrated(notes_url, lambda s: get_or_404(s, Note, ident)) == legacy(
        app, lambda: Note.query.get_or_404(ident))
    assert migrated(notes_url, lambda s: get_or_404(s, User, ident, description="no user")) == (
        legacy(app, lambda: db.get_or_404(User, ident, description="no user")))


@pytest.mark.parametrize("name", ["math", "nope"])
def test_first_and_one_or_404_match(app: Any, notes_url: str, name: str) -> None:
    from notes.extensions import db
    from notes.models import Tag

    assert migrated(notes_url, lambda s: first_or_404(
        s, sa.select(Tag).filter_by(name=name).limit(1), description="no tag")) == legacy(
        app, lambda: Tag.query.filter_by(name=name).first_or_404(description="no tag"))
    assert migrated(notes_url, lambda s: one_or_404(s, sa.select(Tag).filter_by(name=name))) == (
        legacy(app, lambda: db.one_or_404(sa.select(Tag).filter_by(name=name))))


def test_one_or_404_on_several_rows_is_404(app: Any, notes_url: str) -> None:
    from notes.extensions import db
    from notes.models import Note

    stmt = sa.select(Note).filter_by(pinned=True)
    assert migrated(notes_url, lambda s: one_or_404(s, stmt)) == legacy(
        app, lambda: db.one_or_404(stmt))


@pytest.mark.parametrize(("url", "expected"), [
    ("postgresql://u@h/db", "postgresql+asyncpg://u@h/db"),
    ("postgresql+psycopg2://u:p@h:5433/db", "postgresql+asyncpg://u:***@h:5433/db"),
    ("postgresql+asyncpg://u@h/db", "postgresql+asyncpg://u@h/db"),
    ("sqlite:///x.db", "sqlite+aiosqlite:///x.db"),
])
def test_async_url(url: str, expected: str) -> None:
    assert str(async_url(url)) == expected


@pytest.mark.parametrize(("url", "message"), [
    ("postgresql://u@h/db?sslmode=require", "libpq options ['sslmode']"),
    ("oracle://u@h/db", "no async driver known for 'oracle'"),
])
def test_async_url_refuses_what_it_cannot_keep(url: str, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        async_url(url)


def test_a_missing_async_driver_is_named_with_what_to_install(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A legacy app on SQLite migrates to ``sqlite+aiosqlite://``, whose package SQLAlchemy
    does not ship: the first migrated request says what to install."""
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "aiosqlite" else real(name, *a))
    with pytest.raises(RuntimeError, match=r"needs the aiosqlite package, which is not "
                                           r"installed: pip install aiosqlite"):
        require_driver(async_url("sqlite:///instance/app.db"))
    require_driver(async_url("postgresql://u@h/db"))  # asyncpg is installed: nothing raised


def test_run_sync_runs_create_all_in_a_transaction(notes_url: str) -> None:
    metadata = sa.MetaData()
    sa.Table("asy_run_sync_probe", metadata, sa.Column("id", sa.Integer, primary_key=True))

    async def main() -> list[str]:
        engine = create_async_engine(async_url(notes_url))
        try:
            await run_sync(engine, metadata.create_all)
            names: list[str] = await run_sync(
                engine, lambda conn: sa.inspect(conn).get_table_names())
            await run_sync(engine, metadata.drop_all)
            return names
        finally:
            await engine.dispose()

    assert "asy_run_sync_probe" in asyncio.run(main())
