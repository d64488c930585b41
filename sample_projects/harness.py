"""Plumbing for the sample projects' suites and benchmarks: throwaway PostgreSQL databases
and real servers (uvicorn, gunicorn) in subprocesses that stop when their parent dies.

No pytest in here, so benchmarks can use it too. ``conftest.py`` wraps it in fixtures.
"""

from __future__ import annotations

import contextlib
import ctypes
import http.client
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg2
from psycopg2 import sql
from psycopg2.extensions import parse_dsn

SAMPLES_DIR = Path(__file__).resolve().parent
DEFAULT_DSN = "postgresql://postgres@127.0.0.1:5432/test"
HOST = "127.0.0.1"


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


@dataclass(frozen=True)
class AppSpec:
    """Which app to serve and how: ``wsgi:<module>:<callable>`` is served by gunicorn
    (gthread), ``asgi:<module>:<callable>`` by uvicorn. A trailing ``()`` marks a factory."""

    kind: str
    target: str

    @classmethod
    def parse(cls, text: str) -> AppSpec:
        kind, _, target = text.strip().partition(":")
        module, _, attr = target.partition(":")
        if kind not in ("wsgi", "asgi") or not module or not attr:
            raise ValueError(
                f"bad app spec {text!r}: expected 'wsgi:<module>:<app or factory()>' "
                "or 'asgi:<module>:<app or factory()>'"
            )
        return cls(kind, target)

    def argv(self, port: int, *, workers: int | None = None, threads: int = 4) -> list[str]:
        if self.kind == "wsgi":
            return [
                sys.executable, "-m", "gunicorn", self.target,
                "--bind", f"{HOST}:{port}",
                "--worker-class", "gthread",
                "--workers", str(workers or 2),
                "--threads", str(threads),
                "--graceful-timeout", "2",
                "--log-level", "warning",
            ]  # fmt: skip
        target, factory = self.target, self.target.endswith("()")
        argv = [
            sys.executable, "-m", "uvicorn", target.removesuffix("()"),
            "--host", HOST,
            "--port", str(port),
            "--log-level", "warning",
            "--no-access-log",
            "--timeout-graceful-shutdown", "1",
        ]  # fmt: skip
        if factory:
            argv.append("--factory")
        if workers and workers > 1:
            argv += ["--workers", str(workers)]
        return argv


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def refused_port() -> Iterator[int]:
    """A port where connections are refused (bound, never listening), reserved meanwhile."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        yield sock.getsockname()[1]


def _die_with_parent(parent_pid: int) -> None:
    """Runs in the child before exec (Linux): SIGTERM it when the parent dies."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGTERM)  # 1 == PR_SET_PDEATHSIG
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os._exit(1)


# Off Linux there is no PR_SET_PDEATHSIG: a watchdog in the server's process group polls the
# parent and takes the group down when the parent is gone.
_WATCHDOG = """
import os, signal, sys, time
parent = int(sys.argv[1])
while True:
    time.sleep(0.5)
    try:
        os.kill(parent, 0)
    except ProcessLookupError:
        os.killpg(os.getpgrp(), signal.SIGTERM)
"""


class ServerError(RuntimeError):
    """A server exited or did not answer before its deadline."""


class Server:
    """A server subprocess in its own process group, logging to a file."""

    def __init__(
        self,
        name: str,
        argv: list[str],
        *,
        port: int,
        cwd: Path,
        env: Mapping[str, str],
        log_dir: Path,
    ) -> None:
        self.name = name
        self.port = port
        self.url = f"http://{HOST}:{port}"
        self.log_path = log_dir / f"{name}-{port}.log"
        parent = os.getpid()
        self._log = open(self.log_path, "wb")  # noqa: SIM115 (closed in stop())
        try:
            self._proc = subprocess.Popen(
                argv,
                cwd=cwd,
                env=dict(env),
                stdin=subprocess.DEVNULL,
                stdout=self._log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=(lambda: _die_with_parent(parent)) if sys.platform == "linux" else None,
            )
        except BaseException:
            self._log.close()
            raise
        self._watchdog = None
        if sys.platform != "linux":
            self._watchdog = subprocess.Popen(
                [sys.executable, "-c", _WATCHDOG, str(parent)],
                stdin=subprocess.DEVNULL,
                process_group=self._proc.pid,
            )

    def log_tail(self, lines: int = 40) -> str:
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def wait_ready(self, path: str, timeout: float = 30.0) -> None:
        """Wait until the server answers ``GET path`` with any HTTP response."""
        deadline = time.monotonic() + timeout
        while True:
            if self._proc.poll() is not None:
                raise ServerError(
                    f"{self.name} exited with code {self._proc.returncode} before serving; "
                    f"log {self.log_path}:\n{self.log_tail()}"
                )
            conn = http.client.HTTPConnection(HOST, self.port, timeout=2)
            try:
                conn.request("GET", path)
                conn.getresponse().read()
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise ServerError(
                        f"{self.name} did not answer GET {path} within {timeout:.0f} s; "
                        f"log {self.log_path}:\n{self.log_tail()}"
                    ) from None
                time.sleep(0.05)
            finally:
                conn.close()

    def _signal(self, sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self._proc.pid, sig)

    def stop(self) -> None:
        """SIGTERM the whole process group (gunicorn workers too); SIGKILL after 5 s."""
        try:
            self._signal(signal.SIGTERM)
            try:
                self._proc.wait(5)
            except subprocess.TimeoutExpired:
                self._signal(signal.SIGKILL)
                self._proc.wait(5)
            if self._watchdog is not None:
                self._watchdog.wait(5)
        finally:
            self._log.close()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def _pythonpath(*dirs: Path) -> str:
    parts = [str(d) for d in dirs]
    if os.environ.get("PYTHONPATH"):
        parts.append(os.environ["PYTHONPATH"])
    return os.pathsep.join(parts)


@contextlib.contextmanager
def serve_upstream(*, log_dir: Path, delay_ms: int = 0) -> Iterator[Server]:
    """The fake upstream services (``upstream.app:app``) under uvicorn."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": _pythonpath(SAMPLES_DIR), "UPSTREAM_DELAY_MS": str(delay_ms)}
    argv = AppSpec("asgi", "upstream.app:app").argv(port)
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
    port = free_port()
    full_env = {
        **os.environ,
        **env,
        "PYTHONPATH": _pythonpath(project_dir),
        "PYTHONUNBUFFERED": "1",
    }
    argv = spec.argv(port, workers=workers, threads=threads)
    name = project_dir.name
    with Server(name, argv, port=port, cwd=project_dir, env=full_env, log_dir=log_dir) as server:
        server.wait_ready(ready_path)
        yield server
