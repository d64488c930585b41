"""``asyncify apply --recipe sqlalchemy-to-asyncio --in-place --propagate`` on a copy of the
notes sample's non-Flask modules (models, queries, serializers…), then the converted functions
called under asyncio on an ``AsyncSession`` against the real PostgreSQL, compared with the
legacy functions on a sync ``Session`` over the same seed.

The serializers read lazy relationships: the converted code runs them through
``await session.run_sync(...)`` (lazy loads work inside ``run_sync``), the documented bridge
until the queries load what the serializers read (docs/sqlalchemy.md)."""

from __future__ import annotations

import asyncio
import importlib
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg2
import pytest
import sqlalchemy as sa
from sqlalchemy.exc import MissingGreenlet
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from sqlalchemy.orm import Session

from asyncify.compat import async_url

NOTES = Path(__file__).resolve().parents[3] / "sample_projects" / "notes"
MODULES = ["__init__", "extensions", "models", "queries", "serializers", "validation"]


@pytest.fixture(scope="module")
def notes_url(postgres_dsn: str, sample_harness: Any) -> Iterator[str]:
    with sample_harness.temporary_database(
        postgres_dsn, "sqlainplace", NOTES / "schema.sql", NOTES / "seed.sql"
    ) as url:
        yield url


@pytest.fixture(scope="module")
def packages(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Any]]:
    """(legacy ``notes.queries``/``serializers``, converted ones), as modules."""
    root = tmp_path_factory.mktemp("inplace")
    target = root / "notes_async"
    target.mkdir()
    for name in MODULES:
        shutil.copy(NOTES / "notes" / f"{name}.py", target / f"{name}.py")
    out = subprocess.run(
        [sys.executable, "-m", "asyncify", "apply", "--recipe", "sqlalchemy-to-asyncio",
         "--in-place", "--propagate", "--allow-dirty", "--root", str(root), str(target)],
        capture_output=True, text=True, timeout=120, cwd=root,
    )
    assert out.returncode in (0, 1), out.stderr
    assert "0 failed" in out.stderr, out.stderr
    sys.path[:0] = [str(root), str(NOTES)]
    try:
        legacy = (importlib.import_module("notes.queries"),
                  importlib.import_module("notes.serializers"))
        converted = (importlib.import_module("notes_async.queries"),
                     importlib.import_module("notes_async.serializers"))
        yield legacy, converted
    finally:
        sys.path.remove(str(root))
        sys.path.remove(str(NOTES))
        for name in [m for m in sys.modules if m.startswith("notes_async")]:
            del sys.modules[name]


def reseed(url: str) -> None:
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute((NOTES / "seed.sql").read_text(encoding="utf-8"))
    conn.close()


def run_legacy(url: str, fn: Any) -> Any:
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg2://", 1))
    try:
        with Session(engine) as session:
            return fn(session)
    finally:
        engine.dispose()


def run_async(url: str, fn: Any) -> Any:
    async def main() -> Any:
        engine = create_async_engine(async_url(url))
        try:
            async with AsyncSession(engine, expire_on_commit=False) as session:
                return await fn(session)
        finally:
            await engine.dispose()

    return asyncio.run(main())


def test_queries_became_coroutines_and_lost_session_query(packages: Any) -> None:
    _, (queries, _) = packages
    source = Path(queries.__file__).read_text(encoding="utf-8")
    assert ".query(" not in source
    for name in ("search_notes", "count_matches", "tag_counts", "tags_by_name", "find_user",
                 "stats"):
        assert asyncio.iscoroutinefunction(getattr(queries, name)), name


def test_reads_match(packages: Any, notes_url: str) -> None:
    (old_q, old_s), (new_q, new_s) = packages
    reseed(notes_url)

    def legacy(session: Session) -> Any:
        found = old_q.search_notes(session, "engine", 3)
        return ([old_s.note_json(n) for n in found], old_q.count_matches(session, "engine"),
                old_q.tag_counts(session), old_q.stats(session),
                old_s.user_json(old_q.find_user(session, 2)), old_q.find_user(session, 99))

    async def migrated(session: AsyncSession) -> Any:
        found = await new_q.search_notes(session, "engine", 3)
        notes = await session.run_sync(lambda _: [new_s.note_json(n) for n in found])
        user = await new_q.find_user(session, 2)
        return (notes, await new_q.count_matches(session, "engine"),
                await new_q.tag_counts(session), await new_q.stats(session),
                new_s.user_json(user), await new_q.find_user(session, 99))

    assert run_async(notes_url, migrated) == run_legacy(notes_url, legacy)


def test_writes_match(packages: Any, notes_url: str) -> None:
    (old_q, _), (new_q, _) = packages

    def legacy(session: Session) -> Any:
        tags = old_q.tags_by_name(session, ["math", "fresh"])
        session.commit()
        return [(t.id, t.name) for t in tags]

    async def migrated(session: AsyncSession) -> Any:
        tags = await new_q.tags_by_name(session, ["math", "fresh"])
        await session.commit()
        return [(t.id, t.name) for t in tags]  # expire_on_commit=False: no reload needed

    reseed(notes_url)
    expected = run_legacy(notes_url, legacy)
    reseed(notes_url)
    assert run_async(notes_url, migrated) == expected == [(2, "math"), (5, "fresh")]


def test_serializer_outside_run_sync_hits_the_lazy_load(packages: Any, notes_url: str) -> None:
    _, (new_q, new_s) = packages
    reseed(notes_url)

    async def migrated(session: AsyncSession) -> Any:
        (note,) = await new_q.search_notes(session, "Babbage", 1)
        return new_s.note_json(note)  # note.notebook is not loaded

    with pytest.raises(MissingGreenlet):
        run_async(notes_url, migrated)
