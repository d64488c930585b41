"""Scratch databases for write requests: one clone of a template per side, so both start
from the same state, and snapshots of chosen tables to compare after each write."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from ..errors import UsageError


def _driver() -> Any:
    try:
        import psycopg2
        from psycopg2 import sql
    except ImportError:  # pragma: no cover - psycopg2 ships with every app we migrate
        raise UsageError("scratch databases need psycopg2 (pip install psycopg2-binary)") from None
    return psycopg2, sql


def _with_database(url: str, name: str) -> str:
    if "://" not in url:
        raise UsageError(f"scratch_template must be a postgresql:// URL, got {url!r}")
    return urlunsplit(urlsplit(url)._replace(path="/" + quote(name)))


def _template_name(url: str) -> str:
    name = urlsplit(url).path.lstrip("/")
    if not name:
        raise UsageError(f"scratch_template {url!r} names no database (add /<dbname>)")
    return name


@contextlib.contextmanager
def scratch_databases(template_url: str, sides: Sequence[str]) -> Iterator[dict[str, str]]:
    """Clone the database at ``template_url`` once per side (``CREATE DATABASE … TEMPLATE``);
    yield ``{side: url}``; drop the clones.

    :raises UsageError: the server is unreachable, or the template cannot be cloned (it must
        exist and have no open connections).
    """
    psycopg2, sql = _driver()
    template = _template_name(template_url)
    admin = _with_database(template_url, "postgres")
    tag = f"asyncify_verify_{os.getpid()}_{secrets.token_hex(3)}"
    names = {side: f"{tag}_{side}" for side in sides}
    try:
        conn = psycopg2.connect(admin, connect_timeout=5)
    except psycopg2.OperationalError as exc:
        raise UsageError(f"cannot reach PostgreSQL at {admin!r}: {str(exc).strip()}") from None
    conn.autocommit = True
    created: list[str] = []
    try:
        with conn.cursor() as cur:
            for name in names.values():
                try:
                    cur.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                        sql.Identifier(name), sql.Identifier(template)))
                except psycopg2.Error as exc:
                    raise UsageError(
                        f"cannot clone scratch database from {template!r}: "
                        f"{str(exc).strip().splitlines()[0]} (the template must exist and "
                        "have no open connections)") from None
                created.append(name)
        yield {side: _with_database(template_url, name) for side, name in names.items()}
    finally:
        with conn.cursor() as cur:
            for name in created:
                cur.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(name)))
        conn.close()


class TableSnapshot:
    """Reads the chosen tables of one database as sorted JSON rows, ignoring some columns
    (``column`` everywhere or ``table.column``)."""

    def __init__(self, url: str, tables: Sequence[str], ignore_columns: Sequence[str]) -> None:
        psycopg2, self._sql = _driver()
        self.tables = tuple(tables)
        self.ignore = frozenset(ignore_columns)
        self._conn = psycopg2.connect(url, connect_timeout=5)
        self._conn.autocommit = True

    def read(self) -> dict[str, list[str]]:
        out = {}
        with self._conn.cursor() as cur:
            for table in self.tables:
                cur.execute(self._sql.SQL("SELECT row_to_json(t)::text FROM {} t").format(
                    self._sql.Identifier(*table.split("."))))
                rows = []
                for (text,) in cur.fetchall():
                    row = {k: v for k, v in json.loads(text).items()
                           if k not in self.ignore and f"{table}.{k}" not in self.ignore}
                    rows.append(json.dumps(row, sort_keys=True, ensure_ascii=False))
                out[table] = sorted(rows)
        return out

    def close(self) -> None:
        self._conn.close()
