"""The psycopg2 → asyncpg placeholder translator.

Property tests: generated queries are run as written with psycopg2 and, translated, with
asyncpg on the real PostgreSQL; both must return the same value. Plus the fixed cases from
semantics.md §2a.
"""

from __future__ import annotations

import asyncio
import os

import asyncpg
import psycopg2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asyncify.codemods.psycopg2 import translate
from asyncify.compat import pg_args

DSN = os.environ.get("ASYNCIFY_TEST_DSN", "postgresql://postgres@127.0.0.1:5432/test")

TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    max_size=12,
)
ITEM = st.one_of(
    st.tuples(st.just("param"), TEXT, st.sampled_from(["a", "b", "c"])),
    st.tuples(st.just("literal"), TEXT, st.none()),
    st.tuples(st.just("dollar"), TEXT.filter(lambda t: "$" not in t), st.none()),
)


def build(items, named: bool):
    parts, positional, params = [], [], {}
    for kind, text, name in items:
        if kind == "param":
            if named:
                parts.append(f"%({name})s::text")
                params.setdefault(name, text)
            else:
                parts.append("%s::text")
                positional.append(text)
        elif kind == "literal":
            parts.append("'" + text.replace("'", "''").replace("%", "%%") + "'")
        else:
            parts.append("$q$" + text.replace("%", "%%") + "$q$")
    query = "SELECT concat_ws('|', " + ", ".join(parts) + ")"
    return query, (params if named else tuple(positional))


@pytest.fixture(scope="module")
def databases():
    sync = psycopg2.connect(DSN)
    sync.autocommit = True
    loop = asyncio.new_event_loop()
    conn = loop.run_until_complete(asyncpg.connect(DSN))
    yield sync, loop, conn
    loop.run_until_complete(conn.close())
    loop.close()
    sync.close()


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(items=st.lists(ITEM, min_size=1, max_size=6), named=st.booleans())
def test_translated_query_returns_what_psycopg2_returned(databases, items, named):
    sync, loop, conn = databases
    query, params = build(items, named)
    has_params = bool(params)
    with sync.cursor() as cur:
        cur.execute(query, params if has_params else None)
        expected = cur.fetchone()[0]
    translation = translate(query, with_params=has_params)
    assert translation.problems == ()
    if translation.style == "named":
        args = [params[name] for name in translation.names]
    else:
        args = list(params)
    assert translation.count == len(args)
    got = loop.run_until_complete(conn.fetchval(translation.query, *args))
    assert got == expected


@given(items=st.lists(ITEM, max_size=8))
def test_every_placeholder_is_numbered_once(items):
    query, params = build(items, named=False)
    translation = translate(query, with_params=True)
    assert "%s" not in translation.query.replace("%%", "")
    assert translation.count == len(params)
    for number in range(1, translation.count + 1):
        assert f"${number}::text" in translation.query


@pytest.mark.parametrize(("query", "with_params", "expected", "names"), [
    ("SELECT * FROM t WHERE a = %s AND b = %s", True, "SELECT * FROM t WHERE a = $1 AND b = $2", ()),
    ("WHERE a = %(x)s OR b = %(y)s OR c = %(x)s", True, "WHERE a = $1 OR b = $2 OR c = $1",
     ("x", "y")),
    ("SELECT '100%%'", False, "SELECT '100%%'", ()),  # no params: sent as is
    ("SELECT '100%%', %s", True, "SELECT '100%', $1", ()),
    ("SELECT E'it\\'s', %s", True, "SELECT E'it\\'s', $1", ()),
    ("SELECT $1", True, "SELECT $1", ()),  # not a psycopg2 placeholder
])
def test_fixed_cases(query, with_params, expected, names):
    translation = translate(query, with_params=with_params)
    assert (translation.query, translation.names, translation.problems) == (expected, names, ())


@pytest.mark.parametrize(("query", "problem"), [
    ("SELECT '%s'", "inside a string literal"),
    ("SELECT 1 -- %s\n, %s", "inside a comment"),
    ("SELECT 50 % %s", "a lone %"),
    ("SELECT %s, %(a)s", "mixes %s and %(name)s"),
])
def test_unworkable_queries_are_reported_not_guessed(query, problem):
    assert any(problem in p for p in translate(query, with_params=True).problems)


@pytest.mark.parametrize(("query", "expected", "arrays"), [
    ("SELECT 1 FROM t WHERE id IN %s", "SELECT 1 FROM t WHERE id = ANY($1)", (1,)),
    ("WHERE a = %s AND b NOT\n IN %s", "WHERE a = $1 AND b <> ALL($2)", (2,)),
    ("WHERE b in (%s, %s)", "WHERE b in ($1, $2)", ()),  # a literal list stays
    ("FROM a JOIN %s", "FROM a JOIN $1", ()),  # JOIN is not IN
])
def test_in_lists_become_arrays(query, expected, arrays):
    translation = translate(query, with_params=True)
    assert (translation.query, translation.arrays) == (expected, arrays)


def test_in_list_matches_psycopg2(databases):
    sync, loop, conn = databases
    query = "SELECT count(*) FROM generate_series(1, 9) x WHERE x IN %s AND x NOT IN %s"
    with sync.cursor() as cur:
        cur.execute(query, ((1, 2, 3, 4), (2,)))
        expected = cur.fetchone()[0]
    got = loop.run_until_complete(conn.fetchval(*pg_args(query, ((1, 2, 3, 4), (2,)))))
    assert got == expected == 3


@pytest.mark.parametrize(("query", "params", "expected"), [
    ("SELECT %(a)s, %(b)s, %(a)s, '5%%'", {"a": 1, "b": 2, "c": 3}, ("SELECT $1, $2, $1, '5%'", 1, 2)),
    ("SELECT '5%%'", None, ("SELECT '5%%'",)),
    (b"SELECT %s", [7], ("SELECT $1", 7)),
])
def test_runtime_translation(query, params, expected):
    assert pg_args(query, params) == expected


@pytest.mark.parametrize(("query", "params", "error"), [
    ("SELECT %s", {"a": 1}, TypeError),
    ("SELECT %(a)s", [1], TypeError),
    ("SELECT %s, %s", [1], TypeError),
    ("SELECT 50 % %s", [1], ValueError),
    ("SELECT %(a)s", {}, KeyError),
])
def test_runtime_translation_rejects_what_psycopg2_rejected(query, params, error):
    with pytest.raises(error):
        pg_args(query, params)
