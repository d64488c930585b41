"""JSON Lines output: one file per process, buffered, rotated by size, safe across fork.

Records are buffered and written in batches (every ``flush_records`` records or
``flush_seconds``, and at exit), so a request pays a list append, not a write. A gunicorn
worker forked from a master that created the app starts with an empty buffer and its own file.
"""

from __future__ import annotations

import atexit
import json
import os
import socket
import sys
import threading
import time
from pathlib import Path
from typing import IO, Any

SCHEMA = "asyncify.profile/1"

# The order of a request line's fields (see docs/profile.md).
FIELDS = (
    "ts", "method", "route", "endpoint", "status", "wall_s", "cpu_s", "db_s", "db_calls",
    "db_writes", "http_s", "http_calls", "sample_rate", "pid",
)  # fmt: skip


class Writer:
    def __init__(
        self,
        directory: Path,
        *,
        prefix: str = "asyncify-profile",
        max_bytes: int = 64 * 1024 * 1024,
        backups: int = 4,
        flush_records: int = 256,
        flush_seconds: float = 1.0,
        header: dict[str, Any] | None = None,
    ) -> None:
        self.directory = directory
        self.prefix = prefix
        self.max_bytes = max_bytes
        self.backups = backups
        self.flush_records = flush_records
        self.flush_seconds = flush_seconds
        self.header = header or {}
        self._lock = threading.Lock()
        self._buffer: list[tuple[Any, ...]] = []
        self._file: IO[str] | None = None
        self._written = 0
        self._sequence = 0
        self._last_flush = time.monotonic()
        self._pid = os.getpid()
        self._host = socket.gethostname()
        os.register_at_fork(after_in_child=self._after_fork)
        atexit.register(self.close)

    def add(self, row: tuple[Any, ...]) -> None:
        with self._lock:
            self._buffer.append(row)
            if (len(self._buffer) >= self.flush_records
                    or time.monotonic() - self._last_flush >= self.flush_seconds):
                self._flush_locked()

    def flush(self) -> None:
        with self._lock:
            self._flush_locked()

    def close(self) -> None:
        with self._lock:
            self._flush_locked()
            if self._file is not None:
                self._file.close()
                self._file = None

    @property
    def path(self) -> Path:
        """The file this process writes now."""
        name = f"{self.prefix}-{self._host}-{self._pid}"
        return self.directory / (f"{name}.jsonl" if self._sequence == 0
                                 else f"{name}.{self._sequence}.jsonl")

    def _flush_locked(self) -> None:
        self._last_flush = time.monotonic()
        if not self._buffer:
            return
        rows, self._buffer = self._buffer, []
        try:
            handle = self._open()
            text = "".join(
                json.dumps(dict(zip(FIELDS, row, strict=True)), separators=(",", ":")) + "\n" for row in rows
            )
            handle.write(text)
            handle.flush()
            self._written += len(text)
            if self._written >= self.max_bytes:
                self._rotate()
        except OSError as exc:  # profiling must never break the service
            sys.stderr.write(f"asyncify.profile: cannot write {self.path}: {exc}\n")

    def _open(self) -> IO[str]:
        if self._file is None:
            self.directory.mkdir(parents=True, exist_ok=True)
            self._file = self.path.open("a", encoding="utf-8")
            self._written = self._file.tell()
            if self._written == 0:
                line = {"schema": SCHEMA, "kind": "process", "pid": self._pid,
                        "host": self._host, "started": round(time.time(), 3), **self.header}
                self._file.write(json.dumps(line, separators=(",", ":")) + "\n")
        return self._file

    def _rotate(self) -> None:
        assert self._file is not None
        self._file.close()
        self._file = None
        self._sequence += 1
        stale = self._sequence - self.backups - 1
        if stale >= 0:
            old = self.path.with_name(self.path.name.replace(
                f".{self._sequence}.jsonl", f".{stale}.jsonl" if stale else ".jsonl"))
            old.unlink(missing_ok=True)

    def _after_fork(self) -> None:
        # The parent flushes what it buffered; the child starts clean, with its own file.
        self._lock = threading.Lock()
        self._buffer = []
        self._file = None
        self._written = 0
        self._sequence = 0
        self._pid = os.getpid()
        self._last_flush = time.monotonic()
