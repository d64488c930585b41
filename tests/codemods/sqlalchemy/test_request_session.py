"""`apply ENDPOINT` on Flask-SQLAlchemy views: the pass that gives each migrated handler the
request's AsyncSession (asyncify.migrate._sqla), on converted modules as the rules leave them.
No-op cases (with why), rewrites, the output parses, and a second run changes nothing."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest

from asyncify.migrate._sqla import FLASK_SQLA_OPS, converts, relationships, request_session_pass

MARKER = ("# TODO[asyncify ASY404]: db.session is Flask-SQLAlchemy's sync session: in async "
          "code it must be the request's AsyncSession (docs/sqlalchemy.md, 'db.session') — "
          "https://asyncify.readthedocs.io/en/latest/rules/#asy404\n")
HEAD = ("from asyncify.compat import get_or_404\n\nfrom ..extensions import db\n"
        "from ..models import Note\nfrom ..serializers import note_json\n")
ADDED = ("from asyncify.compat import request_session\nfrom fastapi import Depends\n"
         "from sqlalchemy.ext.asyncio import AsyncSession\nfrom typing import Annotated\n")
SESSION = "session: Annotated[AsyncSession, Depends(request_session)]"
RELATED = frozenset({"tags", "notebook", "notes"})


def run(source: str, handlers: tuple[str, ...] = ("show",)) -> str:
    return request_session_pass(frozenset(handlers), RELATED, "notes")(
        source.encode()).decode()


NOOPS = [
    pytest.param(HEAD + "\ndef show(note_id):\n    return db.session.get(Note, note_id)\n",
                 id="sync code keeps Flask-SQLAlchemy's session (the legacy view)"),
    pytest.param(HEAD + "\nasync def show(note_id):\n    return {'id': note_id}\n",
                 id="an async handler without db.session needs no session"),
    pytest.param("async def show(session, note_id):\n"
                 "    return await session.get(Note, note_id)\n",
                 id="a session passed in already (a converted helper)"),
]


@pytest.mark.parametrize("source", NOOPS)
def test_noop(source: str) -> None:
    assert run(source) == source


CASES = [
    pytest.param(
        HEAD + "\n\n" + MARKER + "@bp.api_route('/{note_id}')\n"
        "async def show(note_id: int) -> dict:\n"
        "    note = await get_or_404(db.session, Note, note_id)\n"
        "    return note_json(note)\n",
        HEAD + ADDED + "\n\n@bp.api_route('/{note_id}')\n"
        f"async def show(note_id: int, {SESSION}) -> dict:\n"
        "    note = await get_or_404(session, Note, note_id)\n"
        "    return await session.run_sync(lambda _: note_json(note))\n",
        id="the handler takes the request session; the serializer runs where lazy loads work",
    ),
    pytest.param(
        HEAD + "\n\n" + MARKER + "async def show(note_id: int):\n"
        "    note = await get_or_404(db.session, Note, note_id)\n"
        "    note.tags = await queries.tags_by_name(db.session, ['a'])\n"
        "    note.title = 'x'\n"
        "    db.session.commit()\n"
        "    return {'total': await queries.count(db.session), 'note': note_json(note)}\n",
        HEAD + ADDED + f"\n\nasync def show(note_id: int, {SESSION}):\n"
        "    note = await get_or_404(session, Note, note_id)\n"
        "    await session.refresh(note, [\"tags\"])\n"
        "    note.tags = await queries.tags_by_name(session, ['a'])\n"
        "    note.title = 'x'\n"
        "    await session.commit()\n"
        "    session.expire_all()\n"
        "    total = await queries.count(session)\n"
        "    return await session.run_sync(lambda _: {'total': total, "
        "'note': note_json(note)})\n",
        id="collection replaced on a loaded object, commit awaited and expiring, awaits hoisted",
    ),
    pytest.param(
        HEAD + "\nasync def show(note_id: int = 1):\n"
        "    note = Note(title='t')\n"
        "    note.tags = []\n"
        "    db.session.add(note)\n"
        "    await db.session.commit()\n"
        "    return flask_response({'id': note.id}, 201)\n",
        HEAD + ADDED + f"\nasync def show(note_id: int = 1, *, {SESSION}):\n"
        "    note = Note(title='t')\n"
        "    note.tags = []\n"
        "    session.add(note)\n"
        "    await session.commit()\n"
        "    session.expire_all()\n"
        "    return flask_response(await session.run_sync(lambda _: {'id': note.id}), 201)\n",
        id="a new object is not refreshed; after commit, reads run in run_sync, the response "
           "helper stays outside; after a default, the session is keyword-only",
    ),
    pytest.param(
        HEAD + "\nasync def show(note_id: int = 1):\n"
        "    note = Note(title='t')\n"
        "    db.session.add(note)\n"
        "    await db.session.commit()\n"
        "    return jsonify(id=note.id), 201\n",
        HEAD + ADDED + f"\nasync def show(note_id: int = 1, *, {SESSION}):\n"
        "    note = Note(title='t')\n"
        "    session.add(note)\n"
        "    await session.commit()\n"
        "    session.expire_all()\n"
        "    return await session.run_sync(lambda _: (jsonify(id=note.id), 201))\n",
        id="a (body, status) tuple returned after commit: the lambda returns the tuple",
    ),
    pytest.param(
        HEAD + "\nasync def show(session, *, note_id: int):\n"
        "    return (await db.session.get(Note, note_id)).title\n",
        HEAD + ADDED + "\nasync def show(session, *, note_id: int, "
        "request_db_session: Annotated[AsyncSession, Depends(request_session)]):\n"
        "    return (await request_db_session.get(Note, note_id)).title\n",
        id="a name already taken, keyword-only parameters",
    ),
    pytest.param(
        HEAD + "\nasync def helper(note):\n    await db.session.delete(note)\n",
        HEAD + "from asyncify.compat import current_session\n"
        "\nasync def helper(note):\n    await current_session().delete(note)\n",
        id="a helper that is not a handler reads the request's session",
    ),
]


@pytest.mark.parametrize(("source", "expected"), CASES)
def test_rewrite(source: str, expected: str) -> None:
    out = run(source)
    assert out == expected
    cst.parse_module(out)
    assert run(out) == out  # a second run changes nothing


def test_converts_flask_sqlalchemy_only_with_both_rules() -> None:
    op = "flask_sqlalchemy.query.Query.get_or_404"
    assert op in FLASK_SQLA_OPS
    assert converts(["ASY404", "ASY405"])(op)
    assert not converts(["ASY405"])(op)
    assert converts(["ASY405"])("sqlalchemy.orm.Session.commit")
    assert not converts(["ASY404", "ASY405"])("flask_sqlalchemy.SQLAlchemy.create_all")


def test_relationships_of_the_notes_models() -> None:
    models = Path(__file__).resolve().parents[3] / "sample_projects" / "notes" / "notes"
    found = relationships(sorted(models.rglob("*.py")))
    assert found == {"notebooks", "owner", "notes", "notebook", "author", "tags"}
