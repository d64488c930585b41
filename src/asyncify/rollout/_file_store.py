"""The embedded default store: a flagd-format JSON file, hot-reloaded by mtime.

No background thread (nothing to lose across ``fork``): :meth:`FileStore.current` stats the
file at most once per ``poll_interval`` and re-reads it when it changed. A file that no longer
parses is reported once, clearly, and the last good flags keep serving; a copy of them is kept
beside the file so a restart with a broken file still starts from them.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ._flags import FlagError, FlagSet, dump_document, parse_document
from ._store import STATS_TTL, Change, FlagStore, actor, audit_entries, worker_id

log = logging.getLogger("asyncify.rollout")


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` by temp file + rename: readers never see half a file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def read_last_good(path: Path) -> FlagSet | None:
    """The last good flags kept at ``path``, or ``None`` if missing or unusable."""
    try:
        return parse_document(path.read_bytes(), str(path))
    except (FlagError, OSError):
        return None


def keep_last_good(path: Path, flags: FlagSet) -> None:
    """Keep a copy of ``flags`` at ``path`` (best effort: it only helps a later restart)."""
    with contextlib.suppress(OSError):
        write_atomic(path, dump_document(flags))


class FileStore(FlagStore):
    """Flags in ``path`` (flagd JSON); audit in ``<path>.audit.jsonl``; last good copy in
    ``<path>.last-good``; worker stats under ``<path>.stats/``."""

    def __init__(self, path: str | os.PathLike[str], *, poll_interval: float = 1.0,
                 audit_path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path)
        self.poll_interval = poll_interval
        self.audit_path = Path(audit_path) if audit_path else self.path.with_name(
            self.path.name + ".audit.jsonl")
        self.last_good_path = self.path.with_name(self.path.name + ".last-good")
        self.stats_dir = self.path.with_name(self.path.name + ".stats")
        self._lock = threading.Lock()
        self._flags: FlagSet = FlagSet()
        self._seen: tuple[int, int] | None = None
        self._checked = 0.0
        self._bad: tuple[int, int] | None = None
        self._load(initial=True)

    # --- reading ---------------------------------------------------------------------------

    def _signature(self) -> tuple[int, int] | None:
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return None
        return st.st_mtime_ns, st.st_size

    def _load(self, *, initial: bool = False) -> None:
        signature = self._signature()
        if signature == self._seen and not initial:
            return
        if signature is None:
            if initial:
                self._flags = read_last_good(self.last_good_path) or FlagSet()
            self._seen = None
            return
        try:
            flags = parse_document(self.path.read_bytes(), str(self.path))
        except (FlagError, OSError) as exc:
            if self._bad != signature:
                self._bad = signature
                log.error("asyncify rollout: flag file unusable, keeping the last good flags: "
                          "%s", exc)
            if initial:
                self._flags = read_last_good(self.last_good_path) or FlagSet()
            self._seen = signature
            return
        self._flags, self._seen, self._bad = flags, signature, None
        keep_last_good(self.last_good_path, flags)

    def current(self) -> FlagSet | None:
        now = time.monotonic()
        if now - self._checked >= self.poll_interval:
            self._checked = now
            try:
                with self._lock:
                    self._load()
            except Exception:  # never let a reload fail a request
                log.exception("asyncify rollout: reloading %s failed", self.path)
        return self._flags

    # --- writing ---------------------------------------------------------------------------

    @contextlib.contextmanager
    def _exclusive(self) -> Iterator[None]:
        lock_path = self.path.with_name(self.path.name + ".lock")
        with open(lock_path, "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def update(self, change: Change, *, reason: str, who: str | None = None) -> FlagSet:
        with self._exclusive(), self._lock:
            if self.path.exists():
                before = parse_document(self.path.read_bytes(), str(self.path))
            else:
                before = FlagSet()
            after = change(before)
            write_atomic(self.path, dump_document(after))
            lines = audit_entries(before, after, who or actor(), reason)
            if lines:
                with open(self.audit_path, "a", encoding="utf-8") as audit:
                    audit.write("".join(line + "\n" for line in lines))
            self._flags, self._seen, self._bad = after, self._signature(), None
            keep_last_good(self.last_good_path, after)
            return after

    def history(self, limit: int = 50) -> list[dict[str, Any]]:
        try:
            lines = self.audit_path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return []
        return [json.loads(line) for line in lines[-limit:] if line.strip()]

    # --- live stats ------------------------------------------------------------------------

    def publish_stats(self, doc: dict[str, Any]) -> None:
        self.stats_dir.mkdir(exist_ok=True)
        write_atomic(self.stats_dir / f"{worker_id()}.json", json.dumps(doc))

    def read_stats(self) -> list[dict[str, Any]]:
        out = []
        now = time.time()
        for path in sorted(self.stats_dir.glob("*.json")) if self.stats_dir.is_dir() else []:
            try:
                if now - path.stat().st_mtime > STATS_TTL:
                    continue
                out.append(json.loads(path.read_text(encoding="utf-8")))
            except (OSError, ValueError):
                continue
        return out
