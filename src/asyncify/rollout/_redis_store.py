"""The fleet store: one flagd document in a Redis key, polled by a thread in each worker.

Reads never touch Redis on the request path: a daemon thread polls the key every
``poll_interval`` (0.25 s: a kill switch reaches every worker within a second) and swaps in
the new flags. Redis down → the last good flags keep serving (from memory, or from the
``last_good_path`` copy after a restart) for ``max_stale`` seconds, then ``None`` (legacy).
The thread and the connection pool are re-created in forked children
(``os.register_at_fork``), so ``gunicorn --preload`` and uvicorn workers keep updating.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import weakref
from pathlib import Path
from typing import Any

import redis

from ._file_store import keep_last_good, read_last_good
from ._flags import FlagError, FlagSet, dump_document, parse_document
from ._store import STATS_TTL, Change, FlagStore, actor, audit_entries, worker_id

log = logging.getLogger("asyncify.rollout")


class RedisStore(FlagStore):
    """Flags in the Redis key ``key``; audit entries (JSON lines) in the list ``key:audit``;
    worker stats in ``key:stats:<worker>`` (expiring)."""

    def __init__(self, url: str = "redis://127.0.0.1:6379/0", *, key: str = "asyncify:flags",
                 poll_interval: float = 0.25, max_stale: float = 30.0,
                 last_good_path: str | os.PathLike[str] | None = None,
                 audit_path: str | os.PathLike[str] | None = None,
                 socket_timeout: float = 0.5) -> None:
        self.url, self.key = url, key
        self.poll_interval, self.max_stale = poll_interval, max_stale
        self.socket_timeout = socket_timeout
        self.last_good_path = Path(last_good_path) if last_good_path else None
        self.audit_path = Path(audit_path) if audit_path else None
        self._flags: FlagSet | None = None
        self._raw: bytes | None = None
        self._ok_at = 0.0
        self._failing = False
        self._stale_logged = False
        self._start_state()
        method = weakref.WeakMethod(self._after_fork)
        os.register_at_fork(after_in_child=lambda: (m := method()) and m())
        self._poll_once()
        if self._flags is None and self.last_good_path is not None:
            self._flags = read_last_good(self.last_good_path)
            self._ok_at = time.monotonic()  # the copy counts as fresh once, at start

    def _start_state(self) -> None:
        self._pid = os.getpid()
        self._client = redis.Redis.from_url(self.url, socket_timeout=self.socket_timeout,
                                            socket_connect_timeout=self.socket_timeout)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._thread_lock = threading.Lock()

    def _after_fork(self) -> None:
        """In a forked child: the parent's thread is gone and its sockets are shared."""
        self._start_state()

    # --- reading ---------------------------------------------------------------------------

    def _poll_once(self) -> None:
        try:
            raw = self._client.get(self.key)
        except redis.RedisError as exc:
            if not self._failing:
                self._failing = True
                log.error("asyncify rollout: Redis unreachable at %s (%s); serving the last "
                          "good flags for up to %.0f s, then legacy", self.url, exc,
                          self.max_stale)
            return
        if self._failing:
            log.warning("asyncify rollout: Redis reachable again at %s", self.url)
        self._failing, self._stale_logged = False, False
        self._ok_at = time.monotonic()
        data = raw if isinstance(raw, bytes) else b'{"flags": {}}'
        if data == self._raw:
            return
        try:
            flags = parse_document(data, f"redis key {self.key!r}")
        except FlagError as exc:
            log.error("asyncify rollout: keeping the last good flags: %s", exc)
            self._raw = data
            return
        self._remember(flags, data)

    def _remember(self, flags: FlagSet, raw: bytes) -> None:
        self._flags, self._raw, self._ok_at = flags, raw, time.monotonic()
        if self.last_good_path is not None:
            keep_last_good(self.last_good_path, flags)

    def _run(self) -> None:
        while not self._stop.wait(self.poll_interval):
            try:
                self._poll_once()
            except Exception:  # keep polling whatever happens
                log.exception("asyncify rollout: polling Redis failed")

    def _ensure_thread(self) -> None:
        if self._thread is not None and self._pid == os.getpid():
            return
        with self._thread_lock:
            if self._pid != os.getpid():  # forked without the hook (should not happen)
                self._start_state()
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="asyncify-flags",
                                                daemon=True)
                self._thread.start()

    def current(self) -> FlagSet | None:
        self._ensure_thread()
        if self._flags is not None and time.monotonic() - self._ok_at > self.max_stale:
            if not self._stale_logged:
                self._stale_logged = True
                log.error("asyncify rollout: flags older than %.0f s (Redis at %s); every "
                          "endpoint serves legacy until it is back", self.max_stale, self.url)
            return None
        return self._flags

    # --- writing ---------------------------------------------------------------------------

    def update(self, change: Change, *, reason: str, who: str | None = None) -> FlagSet:
        try:
            with self._client.pipeline() as pipe:
                while True:
                    try:
                        pipe.watch(self.key)  # type: ignore[no-untyped-call]  # untyped in redis-py
                        raw = pipe.get(self.key)
                        before = (parse_document(raw, f"redis key {self.key!r}")
                                  if isinstance(raw, bytes) else FlagSet())
                        after = change(before)
                        lines = audit_entries(before, after, who or actor(), reason)
                        text = dump_document(after)
                        pipe.multi()
                        pipe.set(self.key, text)
                        if lines:
                            pipe.rpush(f"{self.key}:audit", *lines)
                        pipe.execute()
                        break
                    except redis.WatchError:
                        continue
        except redis.RedisError as exc:
            raise FlagError(f"cannot write flags to Redis at {self.url}: {exc} (is it "
                            "running?)") from None
        if self.audit_path is not None and lines:
            with open(self.audit_path, "a", encoding="utf-8") as audit:
                audit.write("".join(line + "\n" for line in lines))
        self._remember(after, text.encode())
        return after

    def history(self, limit: int = 50) -> list[dict[str, Any]]:
        try:
            lines = self._client.lrange(f"{self.key}:audit", -limit, -1)
        except redis.RedisError as exc:
            raise FlagError(f"cannot read the audit log from Redis at {self.url}: {exc}") \
                from None
        return [json.loads(line) for line in lines]

    def publish_stats(self, doc: dict[str, Any]) -> None:
        self._client.set(f"{self.key}:stats:{worker_id()}", json.dumps(doc),
                         ex=int(STATS_TTL))

    def read_stats(self) -> list[dict[str, Any]]:
        try:
            keys = list(self._client.scan_iter(match=f"{self.key}:stats:*"))
            values = self._client.mget(keys) if keys else []
        except redis.RedisError as exc:
            raise FlagError(f"cannot read stats from Redis at {self.url}: {exc}") from None
        return [json.loads(v) for v in values if v]

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(2)
        self._client.close()
