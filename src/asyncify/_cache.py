"""The summary cache: one pickle per project, keyed by file content hash.

A file whose size and mtime are unchanged is not even read again; any other file is read and
hashed, and re-parsed only when its hash is new. The cache is a private, disposable file
under ``.asyncify-cache/`` (git-ignored by a ``.gitignore`` inside it).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ._summary import ModuleSummary

# Bump when the summary format changes: old caches are then ignored.
SUMMARY_VERSION = 1
_FILE = f"summaries-v{SUMMARY_VERSION}.pickle"


def content_hash(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


@dataclass(slots=True)
class SummaryCache:
    directory: Path | None
    # relpath -> (mtime_ns, size, content hash)
    stats: dict[str, tuple[int, int, str]] = field(default_factory=dict)
    # content hash -> summary
    summaries: dict[str, ModuleSummary] = field(default_factory=dict)
    dirty: bool = False

    @classmethod
    def open(cls, directory: Path | None) -> SummaryCache:
        """Load the cache in ``directory`` (``None``: no cache). A broken cache is ignored."""
        cache = cls(directory)
        if directory is None:
            return cache
        try:
            with (directory / _FILE).open("rb") as handle:
                stats, summaries = pickle.load(handle)
        except (OSError, EOFError, pickle.UnpicklingError, ValueError, TypeError,
                AttributeError, ImportError):
            return cache
        if isinstance(stats, dict) and isinstance(summaries, dict):
            cache.stats, cache.summaries = stats, summaries
        return cache

    def lookup_stat(self, relpath: str, stat: os.stat_result) -> ModuleSummary | None:
        known = self.stats.get(relpath)
        if known is None or known[0] != stat.st_mtime_ns or known[1] != stat.st_size:
            return None
        return self.summaries.get(known[2])

    def remember(
        self, relpath: str, stat: os.stat_result, digest: str, summary: ModuleSummary
    ) -> None:
        self.stats[relpath] = (stat.st_mtime_ns, stat.st_size, digest)
        self.summaries[digest] = summary
        self.dirty = True

    def save(self, live: set[str]) -> None:
        """Write the cache atomically, keeping only entries for files that still exist."""
        if self.directory is None:
            return
        if set(self.stats) - live:
            self.stats = {k: v for k, v in self.stats.items() if k in live}
            self.dirty = True
        if not self.dirty:
            return
        keep = {v[2] for v in self.stats.values()}
        self.summaries = {k: v for k, v in self.summaries.items() if k in keep}
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            ignore = self.directory / ".gitignore"
            if not ignore.exists():
                ignore.write_text("# created by asyncify\n*\n", encoding="utf-8")
            fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".tmp-", suffix=".pickle")
            with os.fdopen(fd, "wb") as handle:
                pickle.dump((self.stats, self.summaries), handle, pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, self.directory / _FILE)
        except OSError:
            # A cache that cannot be written only costs speed next time.
            with contextlib.suppress(OSError, UnboundLocalError):
                os.unlink(tmp)
        self.dirty = False
