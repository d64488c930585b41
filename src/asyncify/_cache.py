"""The cache under ``.asyncify-cache/`` (git-ignored by a ``.gitignore`` inside it).

Three pickles, each loaded only when needed:

- ``stats``: relpath → (mtime_ns, size, content hash). A file whose size and mtime are
  unchanged is not read again.
- ``summaries``: content hash → module summary. A file is parsed only when its hash is new.
- ``results``: a finished result (e.g. the plan) keyed by the hash of every file's content
  plus the catalog and tool version. An unchanged project is answered from it directly.

Everything in it is disposable: a broken or missing cache only costs time.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._summary import ModuleSummary

# Bump when the summary or result format changes: old caches are then ignored.
SUMMARY_VERSION = 8
_STATS = f"stats-v{SUMMARY_VERSION}.pickle"
_SUMMARIES = f"summaries-v{SUMMARY_VERSION}.pickle"
_RESULTS = f"results-v{SUMMARY_VERSION}.pickle"

_BROKEN = (OSError, EOFError, pickle.UnpicklingError, ValueError, TypeError, AttributeError,
           ImportError, IndexError)


def _results_file(slot: str) -> str:
    return f"results-{slot}-v{SUMMARY_VERSION}.pickle" if slot else _RESULTS


def content_hash(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


@dataclass(slots=True)
class SummaryCache:
    directory: Path | None
    stats: dict[str, tuple[int, int, str]] = field(default_factory=dict)
    _summaries: dict[str, ModuleSummary] | None = None
    _dirty_stats: bool = False
    _dirty_summaries: bool = False

    @classmethod
    def open(cls, directory: Path | None) -> SummaryCache:
        """Open the cache in ``directory`` (``None``: no cache at all)."""
        cache = cls(directory)
        stats = cache._load(_STATS)
        if isinstance(stats, dict):
            cache.stats = stats
        return cache

    @property
    def summaries(self) -> dict[str, ModuleSummary]:
        if self._summaries is None:
            loaded = self._load(_SUMMARIES)
            self._summaries = loaded if isinstance(loaded, dict) else {}
        return self._summaries

    def digest_by_stat(self, relpath: str, stat: os.stat_result) -> str | None:
        known = self.stats.get(relpath)
        if known is None or known[0] != stat.st_mtime_ns or known[1] != stat.st_size:
            return None
        return known[2]

    def remember_stat(self, relpath: str, stat: os.stat_result, digest: str) -> None:
        if self.stats.get(relpath) != (stat.st_mtime_ns, stat.st_size, digest):
            self.stats[relpath] = (stat.st_mtime_ns, stat.st_size, digest)
            self._dirty_stats = True

    def remember_summary(self, digest: str, summary: ModuleSummary) -> None:
        self.summaries[digest] = summary
        self._dirty_summaries = True

    def result(self, key: str, slot: str = "") -> Any:
        """A stored result for ``key``, or ``None``. Each ``slot`` (one per command) keeps
        its own last result, so ``plan`` and ``check`` do not evict each other."""
        stored = self._load(_results_file(slot))
        if isinstance(stored, tuple) and len(stored) == 2 and stored[0] == key:
            return stored[1]
        return None

    def store_result(self, key: str, value: object, slot: str = "") -> None:
        self._dump(_results_file(slot), (key, value))

    def save(self, live: set[str]) -> None:
        """Write what changed, keeping only entries for files that still exist."""
        if set(self.stats) - live:
            self.stats = {k: v for k, v in self.stats.items() if k in live}
            self._dirty_stats = True
        if self._dirty_summaries or (self._dirty_stats and self._summaries is not None):
            keep = {v[2] for v in self.stats.values()}
            self._dump(_SUMMARIES, {k: v for k, v in self.summaries.items() if k in keep})
        if self._dirty_stats:
            self._dump(_STATS, self.stats)
        self._dirty_stats = self._dirty_summaries = False

    def _load(self, name: str) -> Any:
        if self.directory is None:
            return None
        try:
            with (self.directory / name).open("rb") as handle:
                return pickle.load(handle)
        except _BROKEN:
            return None

    def _dump(self, name: str, value: object) -> None:
        if self.directory is None:
            return
        tmp = None
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            ignore = self.directory / ".gitignore"
            if not ignore.exists():
                ignore.write_text("# created by asyncify\n*\n", encoding="utf-8")
            fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".tmp-", suffix=".pickle")
            with os.fdopen(fd, "wb") as handle:
                pickle.dump(value, handle, pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, self.directory / name)
        except (OSError, pickle.PicklingError):
            # A cache that cannot be written only costs speed next time.
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
