"""Runtime helpers for code migrated from psycopg2 to asyncpg (semantics.md §2).

The rewrites (ASY3xx) emit calls to these where asyncpg differs from psycopg2 in a way no
argument can express: JSON values, row types, ``rowcount``, ``execute_values``, libpq DSNs and
one connection pool per event loop. asyncpg is imported lazily: it is the migrated service's
dependency, not asyncify's.
"""

from __future__ import annotations

import asyncio
import json
import re
import weakref
from collections.abc import (
    AsyncGenerator,
    Awaitable,
    Callable,
    Iterable,
    Mapping,
    Sequence,
)
from typing import TYPE_CHECKING, Any

from ._pgsql import _adapted, translate
from ._sandbox import SandboxPool, in_sandbox

if TYPE_CHECKING:
    import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no type information

_pools: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncpg.Pool] = (
    weakref.WeakKeyDictionary()
)
_creating: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
    weakref.WeakKeyDictionary()
)
# One parked async generator per lazily created pool: finalising it closes the pool.
_closers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, AsyncGenerator[None, None]] = (
    weakref.WeakKeyDictionary()
)
# libpq keyword → asyncpg.connect keyword (the ones with a direct equivalent).
_LIBPQ = {"host": "host", "hostaddr": "host", "port": "port", "user": "user",
          "password": "password", "dbname": "database", "sslmode": "ssl",
          "connect_timeout": "timeout"}
_CONNINFO = re.compile(r"\s*(\w+)\s*=\s*('(?:[^'\\]|\\.)*'|\S*)")
_PLACEHOLDER = re.compile(r"\$(\d+)")


def _encode_json(value: Any) -> str:
    # A str is JSON text already: psycopg2 sent strings as literals the server parsed as JSON.
    if isinstance(value, str):
        return value
    adapted = _adapted(value)
    return adapted if isinstance(adapted, str) else json.dumps(value)


async def init_db_connection(conn: asyncpg.Connection) -> None:
    """Register json/jsonb codecs so values come back as Python objects, as with psycopg2
    (asyncpg returns JSON as text). Strings and ``psycopg2.extras.Json`` are sent as JSON
    text, any other value is ``json.dumps``-ed."""
    for name in ("json", "jsonb"):
        await conn.set_type_codec(name, encoder=_encode_json, decoder=json.loads,
                                  schema="pg_catalog")


def connect_kwargs(dsn: str | None = None, **kwargs: Any) -> dict[str, Any]:
    """psycopg2's connection arguments as ``asyncpg.connect`` keywords: a libpq
    ``key=value`` DSN (which asyncpg rejects) and libpq keywords are mapped; a URL passes.

    :raises ValueError: a libpq option with no asyncpg equivalent (name it in
        ``server_settings`` or drop it).
    """
    options: dict[str, Any] = {}
    if dsn is not None and "://" not in dsn:
        for key, value in _CONNINFO.findall(dsn):
            if value.startswith("'"):
                value = re.sub(r"\\(.)", r"\1", value[1:-1])
            options[key] = value
        dsn = None
    options.update(kwargs)
    out: dict[str, Any] = {} if dsn is None else {"dsn": dsn}
    for key, value in options.items():
        if key == "dsn":
            out.update(connect_kwargs(value))
        elif key in _LIBPQ:
            out[_LIBPQ[key]] = (int(value) if key == "port" else
                                float(value) if key == "connect_timeout" else value)
        elif key == "options" and isinstance(value, str):
            settings = dict(re.findall(r"-c\s*([\w.]+)=(\S+)", value))
            out.setdefault("server_settings", {}).update(settings)
        elif key == "application_name":
            out.setdefault("server_settings", {})["application_name"] = value
        elif key in ("min_size", "max_size", "init", "setup", "reset", "server_settings",
                     "ssl", "timeout", "database", "command_timeout", "statement_cache_size"):
            out[key] = value
        else:
            raise ValueError(f"psycopg2 connection option {key!r} has no asyncpg equivalent "
                             "(pass it through server_settings= or drop it)")
    return out


async def connect_db(dsn: str | None = None, **kwargs: Any) -> asyncpg.Connection:
    """``psycopg2.connect(...)`` for asyncpg: same DSN forms, json/jsonb as Python objects."""
    import asyncpg

    conn: asyncpg.Connection = await asyncpg.connect(**connect_kwargs(dsn, **kwargs))
    await init_db_connection(conn)
    return conn


async def _keep_session(conn: asyncpg.Connection) -> None:
    """What psycopg2's pool does to a connection put back, after asyncpg's own rollback of
    an open transaction: nothing."""


async def create_db_pool(dsn: str | None = None, *, min_size: int = 1, max_size: int = 10,
                         init: Callable[[asyncpg.Connection], Awaitable[None]] | None = None,
                         **kwargs: Any) -> asyncpg.Pool:
    """``ThreadedConnectionPool(minconn, maxconn, dsn)`` for asyncpg, with the json/jsonb
    codecs of :func:`init_db_connection` on every connection.

    A released connection is handled as psycopg2's ``putconn`` handles it: an open
    transaction is rolled back, the session (``SET``, ``LISTEN``, advisory locks) is kept.
    asyncpg's own reset (``RESET ALL; UNLISTEN *; CLOSE ALL`` and an advisory-lock release,
    one more round trip on every release) runs only when the caller passes ``reset=``
    itself (``reset=None``: asyncpg's default). Unlike psycopg2's pool, an exhausted asyncpg
    pool waits for a connection instead of raising ``PoolError``.
    """
    import asyncpg

    async def setup(conn: asyncpg.Connection) -> None:
        await init_db_connection(conn)
        if init is not None:
            await init(conn)

    options = connect_kwargs(dsn, **kwargs)
    options.setdefault("reset", _keep_session)
    pool = await asyncpg.create_pool(min_size=min_size, max_size=max_size, init=setup,
                                     **options)
    assert pool is not None  # create_pool returns the pool once it is initialised
    return pool


def set_db_pool(pool: asyncpg.Pool) -> None:
    """Make ``pool`` the running loop's pool (call it from the app's lifespan, and close the
    pool there on shutdown, or with :func:`close_db_pool`)."""
    _pools[asyncio.get_running_loop()] = pool


async def db_pool(dsn: str | None = None, *, min_size: int = 1, max_size: int = 10,
                  **kwargs: Any) -> asyncpg.Pool:
    """The running event loop's pool: the one registered with :func:`set_db_pool`, else one
    created on first use from these arguments (as :func:`create_db_pool`, json/jsonb codecs
    in ``init``) — the async form of a psycopg2 pool created lazily into a module global.

    An asyncpg pool belongs to the loop that created it (using it from another loop fails with
    "another operation is in progress" or "attached to a different loop"), so a module global
    would break as soon as a second loop (the bridge's, a test's) touches the database: there
    is one pool per loop here. A pool created here is closed when its loop shuts down
    (``asyncio.run`` and uvicorn finalise async generators then), or by :func:`close_db_pool`.

    :raises RuntimeError: no pool is registered for the running loop and no connection
        arguments were given.
    """
    pool = await _loop_pool(dsn, min_size=min_size, max_size=max_size, **kwargs)
    if in_sandbox():  # a sandboxed shadow run: every connection's work is rolled back
        return SandboxPool(pool)  # an asyncpg.Pool for the code that uses it
    return pool


async def _loop_pool(dsn: str | None, *, min_size: int, max_size: int,
                     **kwargs: Any) -> asyncpg.Pool:
    loop = asyncio.get_running_loop()
    pool = _pools.get(loop)
    if pool is not None and not pool.is_closing():
        return pool
    if dsn is None and not kwargs:
        raise RuntimeError("no database pool for this event loop: create it in the app's "
                           "lifespan with set_db_pool(await create_db_pool(dsn)), or pass "
                           "the connection arguments to db_pool()")
    lock = _creating.setdefault(loop, asyncio.Lock())
    async with lock:  # concurrent first requests share one pool
        pool = _pools.get(loop)
        if pool is None or pool.is_closing():
            pool = await create_db_pool(dsn, min_size=min_size, max_size=max_size, **kwargs)
            _pools[loop] = pool
            closer = _close_at_shutdown(pool)
            await anext(closer)  # parked: the loop's shutdown_asyncgens() closes the pool
            _closers[loop] = closer
    return pool


async def close_db_pool() -> None:
    """Close the running loop's pool, if it has one (from the app's lifespan shutdown)."""
    loop = asyncio.get_running_loop()
    pool = _pools.pop(loop, None)
    _creating.pop(loop, None)
    closer = _closers.pop(loop, None)
    if closer is not None:
        await closer.aclose()
    elif pool is not None and not pool.is_closing():
        await pool.close()


async def _close_at_shutdown(pool: asyncpg.Pool) -> AsyncGenerator[None, None]:
    try:
        yield
    finally:
        if not pool.is_closing():
            await pool.close()


def rowcount(status: str | None) -> int:
    """psycopg2's ``cursor.rowcount`` from asyncpg's status string (``'UPDATE 2'`` → 2,
    ``'INSERT 0 1'`` → 1); -1 for statements without a count, as psycopg2 reports."""
    if not status:
        return -1
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() and " " in status else -1


def dict_row(record: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """A ``RealDictCursor`` row: a plain (mutable, JSON-serialisable) dict, or ``None``."""
    return None if record is None else dict(record)


def dict_rows(records: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """``RealDictCursor`` rows: a list of plain dicts."""
    return [dict(record) for record in records]


def tuple_row(record: Iterable[Any] | None) -> tuple[Any, ...] | None:
    """A default psycopg2 row (a tuple), for rows returned to callers, or ``None``."""
    return None if record is None else tuple(record)


def tuple_rows(records: Iterable[Iterable[Any]]) -> list[tuple[Any, ...]]:
    """Default psycopg2 rows: a list of tuples."""
    return [tuple(record) for record in records]


async def execute_values(conn: asyncpg.Connection, query: str, argslist: Iterable[Any],
                         template: str | None = None, page_size: int = 100,
                         fetch: bool = False) -> list[Any] | None:
    """``psycopg2.extras.execute_values`` on asyncpg: ``query`` is the psycopg2 query with
    one ``%s`` standing for ``VALUES`` lists; rows go in pages of ``page_size`` statements,
    each row rendered through ``template`` (default: one ``%s`` per column).

    :raises ValueError: the query does not have exactly one ``%s``, or the template uses ``$``.
    """
    head = translate(query, with_params=True)
    if head.count != 1 or head.style != "positional" or head.problems or head.arrays:
        raise ValueError(f"execute_values query {query!r} must have exactly one %s "
                         "placeholder and no other")
    before, _, after = head.query.partition("$1")
    rows = list(argslist)
    results: list[Any] = []
    for start in range(0, len(rows), max(page_size, 1)):
        page = rows[start : start + page_size]
        parts: list[str] = []
        args: list[Any] = []
        for row in page:
            row_template = template or "(" + ",".join(["%s"] * len(row)) + ")"
            if "$" in row_template:
                raise ValueError(f"execute_values template {row_template!r} uses '$'")
            rendered = translate(row_template, with_params=True)
            if rendered.problems:
                raise ValueError(f"execute_values template {row_template!r}: "
                                 f"{'; '.join(rendered.problems)}")
            values: Sequence[Any] = (
                [row[name] for name in rendered.names] if rendered.style == "named" else row
            )
            parts.append(_renumbered(rendered.query, len(args)))
            args.extend(_adapted(value) for value in values)
        statement = before + ",".join(parts) + after
        if fetch:
            results.extend(await conn.fetch(statement, *args))
        else:
            await conn.execute(statement, *args)
    return results if fetch else None


def _renumbered(query: str, offset: int) -> str:
    def shift(match: re.Match[str]) -> str:
        return f"${int(match[1]) + offset}"

    return _PLACEHOLDER.sub(shift, query)
