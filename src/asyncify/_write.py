"""Writing the user's files without ever losing a byte of what they wrote.

Every write: stays inside the project root (symlinks are resolved first), is refused for a
read-only file, is parsed back before it lands, goes through a temporary file in the same
directory and an atomic rename, keeps the file's permission bits, and is journaled so that
``asyncify undo`` can put the previous bytes back.
"""

from __future__ import annotations

import ast
import contextlib
import os
import stat
import subprocess
import tempfile
from pathlib import Path

from .errors import InputError, UsageError


def inside_root(root: Path, path: Path) -> Path:
    """``path`` resolved, if it lies inside ``root``.

    :raises InputError: it resolves outside the root (e.g. a symlink pointing out).
    """
    resolved = path.resolve()
    if not resolved.is_relative_to(root.resolve()):
        raise InputError(
            f"{path}: resolves to {str(resolved)!r}, outside the project root {str(root)!r} "
            "(asyncify never writes outside the project; remove the symlink or pass the "
            "right root)"
        )
    return resolved


def check_parses(data: bytes, where: str) -> None:
    """:raises InputError: ``data`` is not valid Python (the output is never written then)."""
    try:
        ast.parse(data, filename=where)
    except (SyntaxError, ValueError) as exc:
        raise InputError(
            f"{where}: the rewritten file does not parse ({exc}); nothing was written "
            "(please report this as an asyncify bug)"
        ) from exc


def atomic_write(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically, keeping its permission bits.

    :raises InputError: the file is read-only or cannot be written.
    """
    mode: int | None = None
    if path.exists():
        mode = stat.S_IMODE(path.stat().st_mode)
        if not os.access(path, os.W_OK):
            raise InputError(f"{path}: file is read-only; nothing was written "
                             "(make it writable, or leave it out)")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".asyncify")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise InputError(f"{path}: cannot write: {exc.strerror or exc}") from exc


def dirty_paths(root: Path) -> list[str] | None:
    """Uncommitted changes in the git work tree holding ``root`` (``None``: not in git)."""
    try:
        out = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "--", "."],
            cwd=root, capture_output=True, text=True, timeout=30, check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode != 0:
        return None
    return [line[3:] for line in out.stdout.splitlines() if line.strip()]


def refuse_dirty(root: Path, allow_dirty: bool) -> None:
    """:raises UsageError: the work tree has uncommitted changes and ``allow_dirty`` is off."""
    if allow_dirty:
        return
    dirty = dirty_paths(root)
    if dirty:
        shown = ", ".join(dirty[:3]) + (f" and {len(dirty) - 3} more" if len(dirty) > 3 else "")
        raise UsageError(
            f"the git work tree has uncommitted changes ({shown}); commit or stash them so "
            "asyncify's changes can be reviewed on their own, or pass --allow-dirty"
        )
