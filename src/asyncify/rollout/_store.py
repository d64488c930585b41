"""What every flag store offers the router and the CLI, and the audit entries they write.

The router only calls :meth:`FlagStore.current`, which must be cheap and never raise: it
returns the last good flags, or ``None`` once they are too stale to trust (then every
endpoint serves legacy). The CLI and the guardrail change flags through :meth:`update`, an
atomic read-modify-write that appends one audit entry per changed flag.
"""

from __future__ import annotations

import abc
import getpass
import json
import os
import socket
import time
from collections.abc import Callable
from typing import Any

from ._flags import FlagSet

Change = Callable[[FlagSet], FlagSet]

#: Stats older than this are left out of ``flags status`` (the worker is gone).
STATS_TTL = 60.0


def actor() -> str:
    """Who is making a change, for the audit log."""
    try:
        user = getpass.getuser()
    except Exception:  # no passwd entry in some containers
        user = str(os.getuid())
    return f"{user}@{socket.gethostname()}"


def worker_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


def audit_entries(before: FlagSet, after: FlagSet, who: str, reason: str) -> list[str]:
    """One JSON line per flag that changed: ``{ts, actor, flag, old, new, reason}``."""
    lines = []
    for key in sorted(set(before.flags) | set(after.flags)):
        old, new = before.get(key), after.get(key)
        if old == new:
            continue
        lines.append(json.dumps({
            "ts": round(time.time(), 3), "actor": who, "flag": key,
            "old": None if old is None else old.summary(),
            "new": None if new is None else new.summary(), "reason": reason,
        }, sort_keys=True))
    return lines


class FlagStore(abc.ABC):
    """A source of flags shared by the workers of one service."""

    @abc.abstractmethod
    def current(self) -> FlagSet | None:
        """The flags to decide with: the last good ones, ``None`` when too stale (legacy)."""

    @abc.abstractmethod
    def update(self, change: Change, *, reason: str, who: str | None = None) -> FlagSet:
        """Apply ``change`` atomically, audit it, and return the new flags.

        :raises FlagError: the change is invalid, or the store cannot be written.
        """

    @abc.abstractmethod
    def history(self, limit: int = 50) -> list[dict[str, Any]]:
        """The last ``limit`` audit entries, oldest first."""

    @abc.abstractmethod
    def publish_stats(self, doc: dict[str, Any]) -> None:
        """Share this worker's live stats (for ``flags status``)."""

    @abc.abstractmethod
    def read_stats(self) -> list[dict[str, Any]]:
        """Every live worker's last published stats."""

    def close(self) -> None:  # noqa: B027 (optional: only stores with threads override it)
        """Stop background work (idempotent)."""
