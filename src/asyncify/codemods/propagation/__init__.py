"""ASY9xx: await propagation — functions that reach converted I/O become ``async def`` and
every call site of theirs is awaited (or entered with ``async with``, iterated with ``async
for``, or called through the bridge from code that stays sync)."""

from __future__ import annotations

from . import calls, functions

__all__ = ["calls", "functions"]
