"""Plumbing for the sample projects' suites and benchmarks: throwaway PostgreSQL databases
and real servers (uvicorn, gunicorn) in subprocesses that stop when their parent dies.

No pytest in here, so benchmarks can use it too. ``conftest.py`` wraps it in fixtures.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg2
from psycopg2 import sql
from psycopg2.extensions import parse_dsn

from asyncify import verify
from asyncify.errors import UsageError  # noqa: F401 (conftest catches harness.UsageError)

SAMPLES_DIR = Path(__file__).resolve().parent
DEFAULT_DSN = "postgresql://postgres@127.0.0.1:5432/test"
HOST = verify.HOST


# --- PostgreSQL ------------------------------------------------------------------------------


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server answers at the configured DSN."""


def admin_dsn() -> str:
    """The DSN used to create and drop databases: ``ASYNCIFY_TEST_DSN`` or the local default."""
    return os.environ.get("ASYNCIFY_TEST_DSN") or DEFAULT_DSN


def check_postgres(dsn: str) -> None:
    try:
        psycopg2.connect(dsn, connect_timeout=5).close()
    except psycopg2.OperationalError as exc:
        raise PostgresUnavailable(
            f"PostgreSQL is unreachable at {dsn!r}: {str(exc).strip()}\n"
            "The sample suites need a real server: start one, or point ASYNCIFY_TEST_DSN at one "
            "(a role allowed to CREATE DATABASE)."
        ) from exc


def database_url(dsn: str, dbname: str) -> str:
    """``dsn`` (a URL or a libpq ``key=value`` string) pointed at ``dbname``, as a URL.

    Always a URL because asyncpg, used by migrated apps, rejects ``key=value`` strings.
    """
    if "://" in dsn:
        return urlunsplit(urlsplit(dsn)._replace(path="/" + quote(dbname)))
    params = parse_dsn(dsn)
    user = quote(params.get("user", ""), safe="")
    if "password" in params:
        user += ":" + quote(params["password"], safe="")
    host, port = params.get("host", ""), params.get("port", "")
    query = ""
    if host.startswith("/"):  # a Unix-socket directory
        query, host = "?host=" + quote(host, safe=""), ""
    netloc = (user + "@" if user else "") + host + (":" + port if port else "")
    return f"postgresql://{netloc}/{quote(dbname)}{query}"


def run_sql(url: str, *scripts: str) -> None:
    with contextlib.closing(psycopg2.connect(url, connect_timeout=5)) as conn:
        with conn.cursor() as cur:
            for script in scripts:
                cur.execute(script)
        conn.commit()


def _owner_tag(pid: int) -> str:
    return f"asyncify sample suite: host={socket.gethostname()} pid={pid}"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def drop_stale_databases(cur: Any, prefix: str) -> None:
    """Drop databases left by sessions of this host that were killed before cleaning up."""
    cur.execute(
        "SELECT datname, shobj_description(oid, 'pg_database') FROM pg_database "
        "WHERE datname LIKE %s",
        (prefix + "\\_%",),
    )
    for name, tag in cur.fetchall():
        pid = name.split("_")[-2]
        if pid.isdigit() and tag == _owner_tag(int(pid)) and not _pid_alive(int(pid)):
            # No FORCE: a database somebody still uses stays.
            with contextlib.suppress(psycopg2.Error):
                cur.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))


@contextlib.contextmanager
def temporary_database(dsn: str, prefix: str, *sql_files: Path) -> Iterator[str]:
    """Create ``<prefix>_<pid>_<random>``, run ``sql_files`` in it, yield its URL, drop it."""
    name = f"{prefix}_{os.getpid()}_{secrets.token_hex(3)}"
    ident = sql.Identifier(name)
    with contextlib.closing(psycopg2.connect(dsn, connect_timeout=5)) as conn:
        conn.autocommit = True
        with conn.cursor() as cur:
            drop_stale_databases(cur, prefix)
            cur.execute(sql.SQL("CREATE DATABASE {}").format(ident))
            cur.execute(
                sql.SQL("COMMENT ON DATABASE {} IS %s").format(ident), (_owner_tag(os.getpid()),)
            )
            # timestamptz values come out in the session time zone: pin it for every machine.
            cur.execute(sql.SQL("ALTER DATABASE {} SET timezone TO 'UTC'").format(ident))
    url = database_url(dsn, name)
    try:
        run_sql(url, *(path.read_text(encoding="utf-8") for path in sql_files))
        yield url
    finally:
        with contextlib.closing(psycopg2.connect(dsn, connect_timeout=5)) as conn:
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(ident))


# --- servers ---------------------------------------------------------------------------------
# The server plumbing lives in asyncify.verify (``asyncify verify`` starts apps the same way);
# re-exported here under the names the suites and benchmarks use.

AppSpec = verify.AppSpec
Server = verify.Server
ServerError = verify.ServerError
free_port = verify.free_port
_pythonpath = verify.pythonpath


@contextlib.contextmanager
def refused_port() -> Iterator[int]:
    """A port where connections are refused (bound, never listening), reserved meanwhile."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        yield sock.getsockname()[1]


@contextlib.contextmanager
def serve_upstream(
    *, log_dir: Path, delay_ms: int = 0, workers: int | None = None
) -> Iterator[Server]:
    """The fake upstream services (``upstream.app:app``) under uvicorn."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": _pythonpath(SAMPLES_DIR), "UPSTREAM_DELAY_MS": str(delay_ms)}
    argv = AppSpec("asgi", "upstream.app:app").argv(port, workers=workers)
    with Server("upstream", argv, port=port, cwd=SAMPLES_DIR, env=env, log_dir=log_dir) as server:
        server.wait_ready("/health")
        yield server


@contextlib.contextmanager
def serve_app(
    spec: AppSpec,
    *,
    project_dir: Path,
    env: Mapping[str, str],
    ready_path: str,
    log_dir: Path,
    workers: int | None = None,
    threads: int = 4,
) -> Iterator[Server]:
    """Serve a sample app; ``project_dir`` goes first on the server's PYTHONPATH."""
    server = verify.start_app(spec, app_dir=project_dir, env=env, log_dir=log_dir,
                              workers=workers, threads=threads)
    with server:
        server.wait_ready(ready_path)
        yield server
