"""The catalog: data shared by plan, check and apply."""

from __future__ import annotations

from pathlib import Path

import pytest

from asyncify import load_catalog
from asyncify.errors import CatalogError


def test_builtin_catalog_covers_the_categories_plan_reports():
    catalog = load_catalog()
    categories = {op.category for op in [*catalog.operations.values(), *catalog.wildcards.values()]}
    assert {"http", "db", "sleep", "file", "subprocess", "smtp", "cache", "cpu"} <= categories
    for op in catalog.operations.values():
        assert op.replacement, f"{op.name} has no replacement"


@pytest.mark.parametrize(("name", "expected"), [
    ("requests.sessions.Session.get", "requests.Session.get"),
    ("requests.api.post", "requests.post"),
    ("psycopg2.extras.RealDictCursor.execute", "psycopg2.extensions.cursor.execute"),
    ("smtplib.SMTP_SSL.sendmail", "smtplib.SMTP.*"),
    ("redis.StrictRedis.get", "redis.Redis.*"),
])
def test_aliases_and_wildcards(name, expected):
    op = load_catalog().operation(name)
    assert op is not None and op.name == expected


def test_pure_calls_are_not_operations():
    catalog = load_catalog()
    for name in ("json.dumps", "os.path.join", "requests.Response.json", "flask.jsonify"):
        assert catalog.operation(name) is None


def test_types_follow_aliases():
    catalog = load_catalog()
    assert catalog.returns("psycopg2.pool.ThreadedConnectionPool") == (
        "psycopg2.pool.AbstractConnectionPool")
    assert catalog.returns("psycopg2.pool.ThreadedConnectionPool.getconn") == (
        "psycopg2.extensions.connection")
    assert catalog.returns("requests.sessions.Session") == "requests.Session"


def test_user_file_overrides_and_extends(tmp_path: Path):
    extra = tmp_path / "ours.toml"
    extra.write_text(
        '[[operation]]\nnames = ["time.sleep"]\ncategory = "sleep"\n'
        'replacement = "await trio.sleep(s)"\n'
    )
    assert load_catalog([extra]).operation("time.sleep").replacement == "await trio.sleep(s)"


@pytest.mark.parametrize(("text", "message"), [
    ("[[operation]]\nnames = ['a.b']\ncategory = 'Not A Word'\n", "must be a lowercase word"),
    ("[[operation]]\ncategory = 'http'\n", "needs 'names'"),
    ("[surprise]\n", "unknown table"),
    ("[types]\n'a' = 1\n", "must map qualified names"),
    ("[[heuristic]]\nmethods = ['x']\ncategory = 'db'\n", "requires_import"),
    ("not toml at all =", "invalid TOML"),
])
def test_malformed_files_raise_with_the_file_name(tmp_path: Path, text, message):
    bad = tmp_path / "bad.toml"
    bad.write_text(text)
    with pytest.raises(CatalogError, match=message) as info:
        load_catalog([bad])
    assert str(bad) in str(info.value)
