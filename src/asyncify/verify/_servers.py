"""Real servers in subprocesses: an app spec served by gunicorn (gthread) or uvicorn on a free
127.0.0.1 port, in its own process group, stopped with its parent even when that is killed.

Shared with ``sample_projects/harness.py`` and the benchmarks, so every place that starts an
app under test starts it the same way.
"""

from __future__ import annotations

import contextlib
import ctypes
import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from ..errors import AsyncifyError, UsageError

HOST = "127.0.0.1"


@dataclass(frozen=True)
class AppSpec:
    """Which app to serve and how: ``wsgi:<module>:<callable>`` is served by gunicorn
    (gthread), ``asgi:<module>:<callable>`` by uvicorn. A trailing ``()`` marks a factory."""

    kind: str
    target: str

    @classmethod
    def parse(cls, text: str) -> AppSpec:
        """:raises UsageError: ``text`` is not ``wsgi:…:…`` or ``asgi:…:…``."""
        kind, _, target = text.strip().partition(":")
        module, _, attr = target.partition(":")
        if kind not in ("wsgi", "asgi") or not module or not attr:
            raise UsageError(
                f"bad app spec {text!r}: expected 'wsgi:<module>:<app or factory()>' "
                "or 'asgi:<module>:<app or factory()>'"
            )
        return cls(kind, target)

    def argv(self, port: int, *, workers: int | None = None, threads: int = 4) -> list[str]:
        """The command line serving this app on ``127.0.0.1:port``."""
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
        argv = [
            sys.executable, "-m", "uvicorn", self.target.removesuffix("()"),
            "--host", HOST,
            "--port", str(port),
            "--log-level", "warning",
            "--no-access-log",
            "--timeout-graceful-shutdown", "1",
        ]  # fmt: skip
        if self.target.endswith("()"):
            argv.append("--factory")
        if workers and workers > 1:
            argv += ["--workers", str(workers)]
        return argv


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


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


class ServerError(AsyncifyError):
    """A server exited or did not answer before its deadline."""


_TRACEBACK = "Traceback (most recent call last):"


def startup_failure(log: str) -> str:
    """The exception that stopped an app from starting, as one line with a fix: the last
    traceback's final line in the server's log (gunicorn and uvicorn both print it)."""
    lines = log.splitlines()
    cause = ""
    for i, line in enumerate(lines):
        if line.strip().endswith(_TRACEBACK):
            cause = next((ln for ln in lines[i + 1:] if ln and not ln.startswith(" ")), cause)
        elif "Error loading ASGI app" in line:  # uvicorn reports import failures without one
            cause = line.split("Error loading ASGI app.", 1)[-1].strip() or line.strip()
            cause = f"ImportError: {cause}"
    if not cause:
        return "no traceback in its log"
    kind = cause.partition(":")[0].rsplit(".", 1)[-1]
    if kind in ("ModuleNotFoundError", "ImportError"):
        fix = ("check the app spec's module and the PYTHONPATH (the project directory "
               "comes first)")
    elif kind == "KeyError":
        fix = ("if the app reads that environment variable at import time, set it with "
               "--env NAME=VALUE or [tool.asyncify.verify] env")
    else:
        fix = ("start the app the way its own tests do: --env for its settings, and a "
               "factory spec ('module:create_app()') if it has one")
    return f"{cause} — {fix}"


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
        self._log: IO[bytes] = open(self.log_path, "wb")  # noqa: SIM115 (closed in stop())
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
        self._watchdog: subprocess.Popen[bytes] | None = None
        if sys.platform != "linux":
            self._watchdog = subprocess.Popen(
                [sys.executable, "-c", _WATCHDOG, str(parent)],
                stdin=subprocess.DEVNULL,
                process_group=self._proc.pid,
            )

    @property
    def pid(self) -> int:
        """The server's main process (its process group leader)."""
        return self._proc.pid

    def log_tail(self, lines: int = 40) -> str:
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def wait_ready(self, path: str, timeout: float = 30.0) -> None:
        """Wait until the server answers ``GET path`` with any HTTP response.

        :raises ServerError: the server exited, or did not answer within ``timeout``.
        """
        deadline = time.monotonic() + timeout
        while True:
            if self._proc.poll() is not None:
                raise ServerError(
                    f"{self.name} exited with code {self._proc.returncode} before serving: "
                    f"{startup_failure(self.log_tail(200))} (log {self.log_path})\n"
                    f"{self.log_tail()}"
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


def pythonpath(*dirs: Path) -> str:
    """``dirs`` followed by the caller's ``PYTHONPATH``."""
    parts = [str(d) for d in dirs]
    if os.environ.get("PYTHONPATH"):
        parts.append(os.environ["PYTHONPATH"])
    return os.pathsep.join(parts)


def start_app(
    spec: AppSpec,
    *,
    app_dir: Path,
    env: Mapping[str, str],
    log_dir: Path,
    name: str | None = None,
    workers: int | None = None,
    threads: int = 4,
) -> Server:
    """Start ``spec`` on a free port with ``app_dir`` first on its PYTHONPATH (not yet ready:
    call :meth:`Server.wait_ready`, and :meth:`Server.stop` when done)."""
    port = free_port()
    full_env = {
        **os.environ,
        **env,
        "PYTHONPATH": pythonpath(app_dir),
        "PYTHONUNBUFFERED": "1",
    }
    argv = spec.argv(port, workers=workers, threads=threads)
    return Server(name or app_dir.name, argv, port=port, cwd=app_dir, env=full_env,
                  log_dir=log_dir)
