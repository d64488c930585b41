"""The psycopg2 → asyncpg tables are checked against the installed libraries: exceptions by
SQLSTATE, and the compat helpers that the rewrites call."""

from __future__ import annotations

import inspect

import asyncpg
import psycopg2
import psycopg2.errors
import pytest
from psycopg2 import errorcodes

from asyncify.codemods.psycopg2.exceptions import DBAPI, asyncpg_names
from asyncify.compat import rowcount


def _has_class(code: str) -> bool:
    try:
        psycopg2.errors.lookup(code)
    except KeyError:
        return False
    return True


CODES = sorted({v for k, v in vars(errorcodes).items()
                if k.isupper() and isinstance(v, str) and len(v) == 5 and _has_class(v)})


def _resolve(name: str) -> type:
    module, _, leaf = name.rpartition(".")
    return getattr(asyncpg, leaf) if module == "asyncpg" else __builtins__[leaf]  # type: ignore[index]


@pytest.mark.parametrize("code", CODES)
def test_psycopg2_errors_map_to_the_same_sqlstate(code):
    legacy = psycopg2.errors.lookup(code)
    (name,) = asyncpg_names({f"psycopg2.errors.{legacy.__name__}"})
    assert _resolve(name).sqlstate == code


@pytest.mark.parametrize("dbapi", sorted(DBAPI))
def test_dbapi_classes_cover_their_sqlstate_classes(dbapi):
    targets = tuple(_resolve(n) for n in DBAPI[dbapi])
    legacy = getattr(psycopg2.extensions, dbapi, None) or getattr(psycopg2, dbapi)
    for code in CODES:
        cls = psycopg2.errors.lookup(code)
        # Classes 01/02 are warnings in asyncpg: never raised, so nothing to catch.
        if issubclass(cls, legacy) and code[2:] != "000" and code[:2] not in ("01", "02"):
            server = next(c for c in vars(asyncpg.exceptions).values()
                          if inspect.isclass(c) and getattr(c, "sqlstate", None) == code)
            assert issubclass(server, targets), (dbapi, code, server)


@pytest.mark.parametrize(("status", "count"), [
    ("UPDATE 2", 2), ("INSERT 0 1", 1), ("DELETE 0", 0), ("SELECT 3", 3),
    ("CREATE TABLE", -1), ("", -1), (None, -1),
])
def test_rowcount_from_status(status, count):
    assert rowcount(status) == count
