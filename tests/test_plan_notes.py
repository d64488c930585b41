"""`asyncify plan` on sample_projects/notes (Flask-SQLAlchemy): the expected table, held here.

Each entry was checked by hand against the sample's source: the Flask-SQLAlchemy calls
(``Model.query…``, ``db.get_or_404``, ``db.session…``) resolve through codemods/sqlalchemy.toml
(``db.session`` keeps its own name, ``flask_sqlalchemy.session.Session``: no rule can make it
async, so await propagation must not count it as converted),
and the legacy ``session.query(...)`` chains in ``notes/queries.py`` are reported at the call
that runs them (``.all()``, ``.count()``), on the line where the chain starts. Lazy
relationship loads are attribute reads that the catalog's ``[[attribute]]`` table describes
(``db.relationship(...)`` without ``lazy=`` loads on first read): they are reported where the
reader knows the object's class — the serializers' annotated parameters, and
``user = db.get_or_404(User, ...)`` (``"$1"`` in ``[types]``) — once per object and
attribute (the second ``note.notebook`` on serializers.py:19 hits the loaded object). Not
seen: ``tag.notes`` in ``tag_notes`` (library.py:60), where ``tag`` comes from
``Tag.query…first_or_404()``, whose model the resolver does not carry. The route table is
checked against Flask's real ``url_map``.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

SAMPLES = Path(__file__).resolve().parents[1] / "sample_projects"

_Q = "sqlalchemy.orm.Query"
_FQ = "flask_sqlalchemy.query.Query"
_S = "sqlalchemy.orm.Session"
_DB = "flask_sqlalchemy.session.Session"  # db.session: kept apart from sqlalchemy.orm.Session
_TAGS_BY_NAME = [f"{_Q}.all notes/queries.py:41", f"{_S}.flush notes/queries.py:46"]
# Lazy loads in serializers.note_json / notebook_json (relationships in notes/models.py).
_NOTE_JSON = [
    "notes.models.Note.author notes/serializers.py:20",
    "notes.models.Note.notebook notes/serializers.py:19",
    "notes.models.Note.tags notes/serializers.py:21",
]
_NOTEBOOK_JSON = [
    "notes.models.Notebook.notes notes/serializers.py:35",
    "notes.models.Notebook.owner notes/serializers.py:33",
]

EXPECTED: dict[str, tuple[str, list[str]]] = {
    "GET /health": ("notes.app.health", []),
    "GET /api/notes/": ("notes.views.notes.list_notes", sorted([
        f"{_FQ}.paginate notes/views/notes.py:29", *_NOTE_JSON,
    ])),
    "GET /api/notes/<int:note_id>": ("notes.views.notes.get_note", sorted([
        f"{_FQ}.get_or_404 notes/views/notes.py:43", *_NOTE_JSON,
    ])),
    "POST /api/notes/": ("notes.views.notes.create_note", sorted([
        "flask_sqlalchemy.SQLAlchemy.get_or_404 notes/views/notes.py:57",
        f"{_DB}.commit notes/views/notes.py:64",
        f"{_S}.get notes/queries.py:51",
        *_TAGS_BY_NAME, *_NOTE_JSON,
    ])),
    "PATCH /api/notes/<int:note_id>": ("notes.views.notes.update_note", sorted([
        f"{_FQ}.get_or_404 notes/views/notes.py:71",
        f"{_DB}.commit notes/views/notes.py:84",
        *_TAGS_BY_NAME, *_NOTE_JSON,
    ])),
    "DELETE /api/notes/<int:note_id>": ("notes.views.notes.delete_note", [
        f"{_FQ}.first_or_404 notes/views/notes.py:90",
        f"{_DB}.commit notes/views/notes.py:92",
        f"{_DB}.delete notes/views/notes.py:91",
    ]),
    "GET /api/users/<int:user_id>": ("notes.views.library.user_detail", [
        "flask_sqlalchemy.SQLAlchemy.get_or_404 notes/views/library.py:20",
        "notes.models.User.notebooks notes/views/library.py:23",
    ]),
    "GET /api/notebooks/<int:notebook_id>": ("notes.views.library.notebook_detail", sorted([
        f"{_FQ}.get_or_404 notes/views/library.py:29", *_NOTEBOOK_JSON,
    ])),
    "POST /api/notebooks": ("notes.views.library.create_notebook", sorted([
        f"{_FQ}.first notes/views/library.py:43",
        f"{_DB}.commit notes/views/library.py:48",
        *_NOTEBOOK_JSON,
    ])),
    "GET /api/tags": ("notes.views.library.tags", [f"{_Q}.all notes/queries.py:30"]),
    "GET /api/tags/<name>/notes": ("notes.views.library.tag_notes", sorted([
        f"{_FQ}.first_or_404 notes/views/library.py:59", *_NOTE_JSON,
    ])),
    "GET /api/search": ("notes.views.library.search", sorted([
        f"{_Q}.all notes/queries.py:15",
        f"{_Q}.count notes/queries.py:25",
        *_NOTE_JSON,
    ])),
    "GET /api/stats": ("notes.views.library.stats", [
        f"{_Q}.count notes/queries.py:57",
        f"{_Q}.count notes/queries.py:59",
        f"{_S}.execute notes/queries.py:58",
        f"{_S}.scalar notes/queries.py:56",
        f"{_S}.scalars notes/queries.py:60",
    ]),
}


@functools.cache
def plan_json() -> dict[str, Any]:
    """The plan of notes, through the real command line (stderr must stay empty)."""
    out = subprocess.run(
        [sys.executable, "-m", "asyncify", "plan", str(SAMPLES / "notes"), "--format", "json",
         "--no-cache"],
        capture_output=True, text=True, check=True, timeout=120,
    )
    assert out.stderr == "", out.stderr
    data: dict[str, Any] = json.loads(out.stdout)
    return data


def _key(endpoint: dict[str, Any]) -> str:
    return f"{' '.join(endpoint['methods'])} {endpoint['path']}"


def test_expected_table() -> None:
    table = {
        _key(e): (e["id"], sorted({f"{b['operation']} {b['file']}:{b['line']}"
                                   for b in e["blocking"]}))
        for e in plan_json()["endpoints"]
    }
    assert table == EXPECTED


def test_every_sqlalchemy_call_is_resolved_not_guessed() -> None:
    confidences = {b["confidence"] for e in plan_json()["endpoints"] for b in e["blocking"]}
    assert confidences == {"resolved"}


def test_endpoints_without_io_are_marked() -> None:
    for endpoint in plan_json()["endpoints"]:
        no_io = not EXPECTED[_key(endpoint)][1]
        assert endpoint["io"] is not no_io
        assert endpoint["verdict"].startswith("no benefit") is no_io


def test_lazy_relationship_reads_are_db_io_on_the_serializer_path() -> None:
    """``note_json`` reads ``note.tags`` (``db.relationship`` without ``lazy=``): a db
    operation at serializers.py:21, reached from ``get_note`` through the call on line 44."""
    endpoint = next(e for e in plan_json()["endpoints"]
                    if e["id"] == "notes.views.notes.get_note")
    tags = next(b for b in endpoint["blocking"] if b["operation"] == "notes.models.Note.tags")
    assert (tags["category"], tags["file"], tags["line"], tags["col"]) == (
        "db", "notes/serializers.py", 21, 38)
    assert tags["function"] == "notes.serializers.note_json"
    assert [(s["function"], s["file"], s["line"]) for s in tags["path"]] == [
        ("notes.views.notes.get_note", "notes/views/notes.py", 44),
        ("notes.serializers.note_json", "notes/serializers.py", 21),
    ]
    assert tags["count"] == 1 and not tags["in_loop"]
    # A lazy load is fixed at the query (or with run_sync), not by awaiting the reader: the
    # serializer is not among the functions to convert.
    assert "notes.serializers.note_json" not in {s["function"] for s in endpoint["convert"]}


def test_building_a_query_is_not_counted_as_io() -> None:
    operations = {b["operation"] for e in plan_json()["endpoints"] for b in e["blocking"]}
    assert "sqlalchemy.orm.Session.query" not in operations
    assert f"{_Q}.filter" not in operations


def test_endpoint_count_matches_flask_url_map() -> None:
    dump = (
        "import json\n"
        "from notes.app import create_app\n"
        "app = create_app()\n"
        "rules = sorted([r.rule, sorted(r.methods - {'HEAD', 'OPTIONS'})] "
        "for r in app.url_map.iter_rules() if r.endpoint != 'static')\n"
        "print(json.dumps(rules))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(SAMPLES / "notes"),
           "DATABASE_URL": "postgresql://unused@127.0.0.1:1/unused"}
    out = subprocess.run([sys.executable, "-c", dump], env=env, capture_output=True,
                         text=True, check=True, timeout=60)
    flask_rules = json.loads(out.stdout)
    planned = sorted([e["path"], sorted(e["methods"])] for e in plan_json()["endpoints"])
    assert planned == flask_rules
    assert len(planned) == len(EXPECTED) == 13


def test_check_flags_sqlalchemy_io_in_async_code(tmp_path: Path) -> None:
    """``asyncify check`` reads the same catalog: Flask-SQLAlchemy and Session calls reached
    from ``async def`` (directly or through a sync helper) are findings."""
    package = tmp_path / "app"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "views.py").write_text(
        "from flask_sqlalchemy import SQLAlchemy\n"
        "from sqlalchemy.orm import Session\n\n"
        "db = SQLAlchemy()\n\n\n"
        "class Note(db.Model):\n    pass\n\n\n"
        "def newest(session: Session):\n"
        "    return session.query(Note).order_by(Note.id).first()\n\n\n"
        "async def view(note_id):\n"
        "    note = Note.query.get_or_404(note_id)\n"
        "    db.session.delete(note)\n"
        "    db.session.commit()\n"
        "    return newest(db.session)\n"
    )
    out = subprocess.run(
        [sys.executable, "-m", "asyncify", "check", str(tmp_path), "--no-cache", "--format",
         "json"], capture_output=True, text=True, timeout=120,
    )
    assert out.returncode == 1, out.stderr
    findings = json.loads(out.stdout)
    found = findings["findings"] if isinstance(findings, dict) else findings
    messages = " ".join(f["message"] for f in found)
    assert "flask_sqlalchemy.query.Query.get_or_404" in messages
    assert "flask_sqlalchemy.session.Session.delete" in messages
    assert "flask_sqlalchemy.session.Session.commit" in messages
    assert "sqlalchemy.orm.Query.first" in messages  # through the sync helper newest()
