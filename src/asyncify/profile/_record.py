"""What one sampled request measures, and the thread-local slot the instrumentation fills.

Every I/O hook looks up the current thread's record; when there is none (no profiler, or the
request was not sampled) it calls straight through, so unsampled requests pay one lookup.
Only the outermost I/O call is timed: a requests ``Session.send`` that goes through urllib3's
``urlopen`` (and its retries) counts once, as does a SQLAlchemy execute that ends in a
psycopg2 cursor.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from time import perf_counter
from typing import Any, TypeVar

T = TypeVar("T")

_local = threading.local()


class RequestRecord:
    """The measurements of one request, filled while it runs (one thread, no locking)."""

    __slots__ = (
        "cpu0", "db_calls", "db_s", "db_writes", "depth", "endpoint", "http_calls", "http_s",
        "method", "route", "start", "status", "wall0",
    )  # fmt: skip

    def __init__(self, method: str, wall0: float, cpu0: float) -> None:
        self.method = method
        self.route: str | None = None
        self.endpoint: str | None = None
        self.status = 0
        self.wall0 = wall0
        self.cpu0 = cpu0
        self.start = 0.0
        self.db_s = 0.0
        self.db_calls = 0
        self.db_writes = 0
        self.http_s = 0.0
        self.http_calls = 0
        self.depth = 0


def current() -> RequestRecord | None:
    record: RequestRecord | None = getattr(_local, "record", None)
    return record


def activate(record: RequestRecord | None) -> None:
    _local.record = record


def timed_http(call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    record: RequestRecord | None = getattr(_local, "record", None)
    if record is None or record.depth:
        return call(*args, **kwargs)
    record.depth = 1
    started = perf_counter()
    try:
        return call(*args, **kwargs)
    finally:
        record.http_s += perf_counter() - started
        record.http_calls += 1
        record.depth = 0


def timed_db(call: Callable[..., T], query: object, *args: Any, **kwargs: Any) -> T:
    """A statement: timed, counted, and classified as a write or a read."""
    record: RequestRecord | None = getattr(_local, "record", None)
    if record is None or record.depth:
        return call(query, *args, **kwargs)
    record.depth = 1
    started = perf_counter()
    try:
        return call(query, *args, **kwargs)
    finally:
        record.db_s += perf_counter() - started
        record.db_calls += 1
        if is_write(query):
            record.db_writes += 1
        record.depth = 0


def timed_db_wait(call: Callable[..., T], *args: Any) -> T:
    """A round trip that is not a statement (connect, commit, rollback, server-side fetch):
    its time is DB time, but it is not counted as a call."""
    record: RequestRecord | None = getattr(_local, "record", None)
    if record is None or record.depth:
        return call(*args)
    record.depth = 1
    started = perf_counter()
    try:
        return call(*args)
    finally:
        record.db_s += perf_counter() - started
        record.depth = 0


_WRITE_VERBS = frozenset({
    "INSERT", "UPDATE", "DELETE", "MERGE", "UPSERT", "REPLACE", "CREATE", "ALTER", "DROP",
    "TRUNCATE", "COPY", "GRANT", "REVOKE", "CALL", "LOCK", "VACUUM", "REINDEX", "CLUSTER",
})  # fmt: skip
_FIRST_WORD = re.compile(r"\s*(?:(?:--[^\n]*\n|/\*.*?\*/)\s*)*([A-Za-z]+)", re.DOTALL)
_CTE_WRITE = re.compile(r"\b(INSERT|UPDATE|DELETE|MERGE)\b", re.IGNORECASE)


def is_write(query: object) -> bool:
    """Whether a SQL statement writes, from its first keyword (``WITH`` looks further)."""
    text = _sql_text(query)
    if text is None:
        return False
    match = _FIRST_WORD.match(text)
    if match is None:
        return False
    verb = match.group(1).upper()
    if verb == "WITH":
        return _CTE_WRITE.search(text) is not None
    return verb in _WRITE_VERBS


def _sql_text(query: object) -> str | None:
    if isinstance(query, str):
        return query[:4096]
    if isinstance(query, bytes):
        return query[:4096].decode("utf-8", "replace")
    # psycopg2.sql.Composed / SQL: the first literal SQL fragment says what the statement does.
    seq = getattr(query, "seq", None)
    if isinstance(seq, list) and seq:
        return _sql_text(seq[0])
    string = getattr(query, "string", None)
    if isinstance(string, str):
        return string[:4096]
    return None
