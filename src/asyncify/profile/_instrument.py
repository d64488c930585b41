"""Hooks into the libraries a legacy service waits on: psycopg2, requests, urllib3 and
SQLAlchemy. Installed once per process, idempotent, and inert outside a sampled request.

- **psycopg2**: ``psycopg2.connect`` ends in the module global ``psycopg2._connect``, which we
  wrap to hand out a connection subclass (of the caller's ``connection_factory`` when given).
  Its ``cursor()`` returns a subclass of the requested cursor class (``RealDictCursor``…) whose
  ``execute``/``executemany``/``callproc``/``copy_*`` are timed; ``commit``, ``rollback`` and
  connecting count as DB time too. Connections opened before installation are not seen.
- **requests**: ``Session.send`` (covers ``requests.get`` and redirects; a streamed body read
  after ``send`` returns is not counted). **urllib3**: ``HTTPConnectionPool.urlopen``, for
  code using urllib3 directly.
- **SQLAlchemy**: engine events ``before/after_cursor_execute`` on every ``Engine``.
"""

from __future__ import annotations

import functools
import importlib
import threading
from collections.abc import Callable
from time import perf_counter
from typing import Any

from ._record import current, timed_db, timed_db_wait, timed_http

_lock = threading.Lock()
_installed: set[str] = set()


def install() -> list[str]:
    """Install every hook whose library is importable; returns the libraries hooked."""
    with _lock:
        for name, hook in _HOOKS.items():
            if name not in _installed and hook():
                _installed.add(name)
        return sorted(_installed)


# --- psycopg2 ---------------------------------------------------------------------------------


def _hook_psycopg2() -> bool:
    try:
        # Through importlib: psycopg2 ships no type hints, and everything here is dynamic.
        psycopg2: Any = importlib.import_module("psycopg2")
    except ImportError:
        return False
    extensions = psycopg2.extensions
    original: Callable[..., Any] = psycopg2._connect  # private, but stable since 2.7

    @functools.wraps(original)
    def connect(dsn: Any, connection_factory: Any = None, **kwargs: Any) -> Any:
        factory = _timed_connection(connection_factory or extensions.connection)
        return timed_db_wait(
            lambda: original(dsn, connection_factory=factory, **kwargs))

    psycopg2._connect = connect
    return True


@functools.cache
def _timed_connection(base: type[Any]) -> type[Any]:
    extensions: Any = importlib.import_module("psycopg2.extensions")

    class TimedConnection(base):  # type: ignore[misc]  # subclassing Any
        def cursor(
            self, name: str | None = None, cursor_factory: Any = None, withhold: bool = False,
            scrollable: bool | None = None,
        ) -> Any:
            factory = cursor_factory or self.cursor_factory or extensions.cursor
            return super().cursor(name, cursor_factory=_timed_cursor(factory, name is not None),
                                  withhold=withhold, scrollable=scrollable)

        def commit(self) -> None:
            timed_db_wait(super().commit)

        def rollback(self) -> None:
            timed_db_wait(super().rollback)

    TimedConnection.__name__ = TimedConnection.__qualname__ = f"Timed{base.__name__}"
    return TimedConnection


@functools.cache
def _timed_cursor(base: type[Any], named: bool) -> type[Any]:
    class TimedCursor(base):  # type: ignore[misc]  # subclassing Any
        def execute(self, query: Any, vars: Any = None) -> Any:
            return timed_db(super().execute, query, vars)

        def executemany(self, query: Any, vars_list: Any) -> Any:
            return timed_db(super().executemany, query, vars_list)

        def callproc(self, procname: Any, parameters: Any = None) -> Any:
            return timed_db(super().callproc, procname, parameters)

        def copy_expert(self, sql: Any, file: Any, size: int = 8192) -> Any:
            return timed_db(super().copy_expert, sql, file, size)

        def copy_from(self, file: Any, table: str, *args: Any, **kwargs: Any) -> Any:
            return timed_db(lambda _q: super(TimedCursor, self).copy_from(
                file, table, *args, **kwargs), "COPY")

        def copy_to(self, file: Any, table: str, *args: Any, **kwargs: Any) -> Any:
            return timed_db(lambda _q: super(TimedCursor, self).copy_to(
                file, table, *args, **kwargs), "SELECT")

    if named:  # a server-side cursor goes back to the server on every fetch

        class TimedNamedCursor(TimedCursor):
            def fetchone(self) -> Any:
                return timed_db_wait(super().fetchone)

            def fetchmany(self, size: int | None = None) -> Any:
                method = super().fetchmany
                return timed_db_wait(method) if size is None else timed_db_wait(method, size)

            def fetchall(self) -> Any:
                return timed_db_wait(super().fetchall)

        TimedNamedCursor.__name__ = TimedNamedCursor.__qualname__ = f"TimedNamed{base.__name__}"
        return TimedNamedCursor
    TimedCursor.__name__ = TimedCursor.__qualname__ = f"Timed{base.__name__}"
    return TimedCursor


# --- requests and urllib3 ---------------------------------------------------------------------


def _hook_requests() -> bool:
    try:
        import requests
    except ImportError:
        return False
    original: Callable[..., Any] = requests.Session.send

    @functools.wraps(original)
    def send(self: Any, request: Any, **kwargs: Any) -> Any:
        return timed_http(original, self, request, **kwargs)

    requests.Session.send = send  # type: ignore[method-assign]  # the instrumentation point
    return True


def _hook_urllib3() -> bool:
    try:
        from urllib3 import connectionpool
    except ImportError:
        return False
    original: Callable[..., Any] = connectionpool.HTTPConnectionPool.urlopen

    @functools.wraps(original)
    def urlopen(self: Any, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        return timed_http(original, self, method, url, *args, **kwargs)

    connectionpool.HTTPConnectionPool.urlopen = urlopen  # type: ignore[method-assign]  # same
    return True


# --- SQLAlchemy -------------------------------------------------------------------------------


def _hook_sqlalchemy() -> bool:
    try:
        from sqlalchemy import event
        from sqlalchemy.engine import Engine
    except ImportError:
        return False

    def before(conn: Any, cursor: Any, statement: str, params: Any, context: Any,
               many: bool) -> None:
        record = current()
        if record is None:
            return
        if record.depth == 0:
            record.start = perf_counter()
        record.depth += 1  # the DBAPI cursor underneath must not count a second time

    def after(conn: Any, cursor: Any, statement: str, params: Any, context: Any,
              many: bool) -> None:
        _finish_sqlalchemy(statement)

    def failed(context: Any) -> None:
        _finish_sqlalchemy(getattr(context, "statement", None) or "")

    event.listen(Engine, "before_cursor_execute", before)
    event.listen(Engine, "after_cursor_execute", after)
    event.listen(Engine, "handle_error", failed)
    return True


def _finish_sqlalchemy(statement: str) -> None:
    from ._record import is_write

    record = current()
    if record is None or record.depth == 0:
        return
    record.depth -= 1
    if record.depth == 0:
        record.db_s += perf_counter() - record.start
        record.db_calls += 1
        record.db_writes += is_write(statement)


_HOOKS: dict[str, Callable[[], bool]] = {
    "psycopg2": _hook_psycopg2,
    "requests": _hook_requests,
    "sqlalchemy": _hook_sqlalchemy,
    "urllib3": _hook_urllib3,
}
