# ruff: noqa
"""Half migrated: still the sync file read of the legacy app."""

from __future__ import annotations

import os


def read_excerpt(directory: str, isbn: str) -> str | None:
    path = os.path.join(directory, f"{isbn}.txt")
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except FileNotFoundError:
        return None
