"""ASY5xx: blocking standard-library calls inside async code."""

from __future__ import annotations

from . import files, other, sleep, subprocesses

__all__ = ["files", "other", "sleep", "subprocesses"]
