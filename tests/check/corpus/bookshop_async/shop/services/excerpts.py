# ruff: noqa
from __future__ import annotations

import anyio


async def read_excerpt(directory: str, isbn: str) -> str | None:
    path = anyio.Path(directory) / f"{isbn}.txt"
    try:
        return await path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
