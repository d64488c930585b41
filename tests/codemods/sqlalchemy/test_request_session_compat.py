"""``asyncify.compat.request_session`` / ``current_session`` on the real PostgreSQL: the
request's AsyncSession comes from the legacy Flask app's settings, what a request leaves
uncommitted is rolled back (as Flask-SQLAlchemy's teardown did), and the engine is disposed
when its event loop shuts down."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import httpx
import psycopg2
import pytest
from fastapi import Depends, FastAPI
from flask import Flask
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from asyncify.compat import (
    _flask,
    current_session,
    dispose_engine,
    request_session,
    set_flask_app,
)
from asyncify.compat._sqla_session import engine_options

Session = Annotated[AsyncSession, Depends(request_session)]
NOTES = Path(__file__).resolve().parents[3] / "sample_projects" / "notes"


@pytest.fixture
def notes_url(sample_harness: Any, postgres_dsn: str) -> Iterator[str]:
    with sample_harness.temporary_database(postgres_dsn, "notes_session", NOTES / "schema.sql",
                                           NOTES / "seed.sql") as url:
        yield url


@pytest.fixture
def legacy_app(notes_url: str) -> Iterator[Flask]:
    flask = Flask("legacy")
    flask.config["SQLALCHEMY_DATABASE_URI"] = notes_url.replace(
        "postgresql://", "postgresql+psycopg2://", 1)
    flask.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
        "pool_size": 2, "max_overflow": 1, "connect_args": {"connect_timeout": 5}}
    previous = dict(_flask._legacy)
    set_flask_app(flask)
    yield flask
    _flask._legacy.clear()
    _flask._legacy.update(previous)


def connections(url: str) -> int:
    name = url.rsplit("/", 1)[1]
    with contextlib.closing(psycopg2.connect(url)) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s "
                    "AND pid <> pg_backend_pid()", (name,))
        row = cur.fetchone()
        assert row is not None
        return int(row[0])


def test_engine_options_keep_the_pool_settings_only() -> None:
    config = {"SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 4, "max_overflow": 4,
                                            "connect_args": {"sslmode": "x"}, "echo": False}}
    assert engine_options(config) == {"pool_size": 4, "max_overflow": 4, "echo": False}
    assert engine_options({}) == {}


def test_a_request_session_per_request(legacy_app: Flask, notes_url: str) -> None:
    api = FastAPI()

    @api.get("/count")
    async def count(session: Session) -> dict[str, Any]:
        assert current_session() is session
        await session.execute(text("INSERT INTO users (username, display_name) "
                                   "VALUES ('tmp', 'never committed')"))
        total = await session.scalar(text("SELECT count(*) FROM users"))
        return {"users": total}

    @api.post("/users")
    async def add(session: Session) -> dict[str, Any]:
        await session.execute(text("INSERT INTO users (username, display_name) "
                                   "VALUES ('kept', 'committed')"))
        await session.commit()
        return {"ok": True}

    async def scenario() -> list[Any]:
        transport = httpx.ASGITransport(app=api)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            seen = [(await client.get("/count")).json() for _ in range(2)]
            seen.append((await client.post("/users")).json())
            seen.append((await client.get("/count")).json())
        return seen

    # Each request sees its own uncommitted row only: the previous one was rolled back.
    assert asyncio.run(scenario()) == [{"users": 4}, {"users": 4}, {"ok": True}, {"users": 5}]
    # The loop has shut down: its engine was disposed, no connection is left open.
    assert connections(notes_url) == 0
    with contextlib.closing(psycopg2.connect(notes_url)) as conn, conn.cursor() as cur:
        cur.execute("SELECT username FROM users ORDER BY id")
        assert [r[0] for r in cur.fetchall()] == ["ada", "grace", "edsger", "kept"]


def test_dispose_engine_from_a_lifespan(legacy_app: Flask, notes_url: str) -> None:
    async def scenario() -> int:
        generator = request_session()
        session = await anext(generator)
        assert await session.scalar(text("SELECT 1")) == 1
        await generator.aclose()
        await dispose_engine()
        await dispose_engine()  # nothing left: a no-op
        return connections(notes_url)

    assert asyncio.run(scenario()) == 0


def test_errors_say_what_to_do(legacy_app: Flask) -> None:
    with pytest.raises(RuntimeError, match="Depends\\(request_session\\)"):
        current_session()
    legacy_app.config["SQLALCHEMY_DATABASE_URI"] = None

    async def scenario() -> None:
        async for _ in request_session():
            pass

    with pytest.raises(RuntimeError, match="no SQLALCHEMY_DATABASE_URI"):
        asyncio.run(scenario())


def test_the_url_is_the_one_flask_sqlalchemy_resolved(tmp_path: Path) -> None:
    """Flask-SQLAlchemy opens a relative SQLite path under the app's instance folder (and
    adds driver defaults); the async engine opens the same database, not one relative to
    the working directory (the twin failed with ``no such table``)."""
    from flask_sqlalchemy import SQLAlchemy

    from asyncify.compat._sqla_session import _database_url

    legacy = Flask("notes_like", instance_path=str(tmp_path / "instance"))
    legacy.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///data.db"
    SQLAlchemy(legacy)
    assert _database_url(legacy.config, legacy) == f"sqlite:///{tmp_path}/instance/data.db"
    assert (tmp_path / "instance").is_dir()  # the extension made it, as for the legacy app
    plain = Flask("no_extension")
    plain.config["SQLALCHEMY_DATABASE_URI"] = "postgresql://u:secret@h/db"
    assert _database_url(plain.config, plain) == "postgresql://u:secret@h/db"
    kept = Flask("password_kept")
    kept.config["SQLALCHEMY_DATABASE_URI"] = "postgresql+psycopg2://u:secret@h/db"
    SQLAlchemy(kept)
    assert _database_url(kept.config, kept) == "postgresql+psycopg2://u:secret@h/db"
