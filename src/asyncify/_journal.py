"""The journal: every write asyncify makes, with the exact bytes it replaced, so that
``asyncify undo`` restores them.

One JSON file per run under ``<root>/.asyncify/journal/`` (not the disposable cache). An entry
holds the file's previous bytes (base64; ``null`` when the file did not exist) and the hash of
the bytes asyncify wrote; undo refuses to clobber a file edited since, unless forced.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from ._write import atomic_write, inside_root
from .errors import InputError, UsageError

JOURNAL_DIR = Path(".asyncify") / "journal"


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class Entry:
    path: str  # relative to the project root
    before: bytes | None
    after_sha: str


@dataclass
class Journal:
    """The writes of one run, recorded before each write happens."""

    root: Path
    command: str
    run_id: str = field(default_factory=lambda: time.strftime("%Y%m%dT%H%M%S") + f"-{os.getpid()}")
    entries: list[Entry] = field(default_factory=list)

    @property
    def file(self) -> Path:
        return self.root / JOURNAL_DIR / f"{self.run_id}.json"

    def write(self, path: Path, data: bytes) -> None:
        """Journal, then atomically write ``data`` to ``path`` (inside the root)."""
        target = inside_root(self.root, path)
        before = target.read_bytes() if target.exists() else None
        rel = target.relative_to(self.root.resolve()).as_posix()
        self.entries.append(Entry(rel, before, _sha(data)))
        self._save()
        atomic_write(target, data)

    def _save(self) -> None:
        payload = {
            "run": self.run_id,
            "command": self.command,
            "entries": [
                {
                    "path": e.path,
                    "before": None if e.before is None else base64.b64encode(e.before).decode(),
                    "after_sha256": e.after_sha,
                }
                for e in self.entries
            ],
        }
        directory = self.root / JOURNAL_DIR
        directory.mkdir(parents=True, exist_ok=True)
        ignore = self.root / ".asyncify" / ".gitignore"
        if not ignore.exists():
            ignore.write_text("# created by asyncify: the undo journal\n*\n", encoding="utf-8")
        atomic_write(self.file, json.dumps(payload, indent=1).encode())


def runs(root: Path) -> list[Path]:
    directory = root / JOURNAL_DIR
    return sorted(directory.glob("*.json")) if directory.is_dir() else []


def undo(root: Path, *, run: str | None = None, force: bool = False) -> list[str]:
    """Restore the bytes a run replaced (the latest run by default); return the paths.

    :raises UsageError: there is nothing to undo, or the named run does not exist.
    :raises InputError: a file was edited after asyncify wrote it (pass ``force``).
    """
    files = runs(root)
    if run is not None:
        files = [f for f in files if f.stem == run]
        if not files:
            raise UsageError(f"no journal entry {run!r} under {root / JOURNAL_DIR} "
                             "(see the run ids there)")
    if not files:
        raise UsageError(f"nothing to undo: no journal under {root / JOURNAL_DIR}")
    journal_file = files[-1]
    payload = json.loads(journal_file.read_text(encoding="utf-8"))
    entries = payload["entries"]
    # Check everything first so that undo is all or nothing. A file written twice in one run
    # must still hold the bytes of the last write.
    last = {entry["path"]: entry for entry in entries}
    for entry in last.values():
        target = inside_root(root, root / entry["path"])
        current = target.read_bytes() if target.exists() else None
        if not force and (current is None or _sha(current) != entry["after_sha256"]):
            raise InputError(
                f"{entry['path']}: changed since asyncify wrote it; nothing was undone "
                "(pass --force to restore the old bytes anyway)"
            )
    restored = []
    for entry in reversed(entries):
        target = root / entry["path"]
        if entry["before"] is None:
            target.unlink(missing_ok=True)
        else:
            atomic_write(target, base64.b64decode(entry["before"]))
        restored.append(entry["path"])
    journal_file.unlink()
    return restored
