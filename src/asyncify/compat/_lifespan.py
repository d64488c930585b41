"""The generated apps' lifespan: a frozen heap while serving, and on shutdown, closing what
migrated code opened on the event loop.

**The heap.** A combined app carries the whole legacy app (Flask, its extensions, every
module it imports) besides the async twins. Under load, objects of the requests in flight
survive into the oldest generation, and each of its collections walks the entire heap:
measured with one uvicorn worker at 500 connections (gateway), the generated app spent about
12% more CPU per request than with that heap frozen, the hand-written app about 3%. So the
lifespan collects once and freezes what exists at startup (``gc.freeze()``: modules, the app,
its configuration) out of the collector's reach, and unfreezes it on shutdown. Set
``ASYNCIFY_GC_FREEZE=0`` to leave the collector alone.

**Shutdown.** Migrated code makes its clients lazily, one per event loop: the shared
``httpx.AsyncClient`` (:func:`http_client`), the clients of adopted legacy objects
(:func:`adopt`), the asyncpg pool (:func:`db_pool`) and the SQLAlchemy engine. Left open they
are only reclaimed by the garbage collector, and aiohttp then logs "Unclosed client session"
at every shutdown or reload.
"""

from __future__ import annotations

import gc
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any


async def close_loop_resources() -> None:
    """Close the running loop's shared HTTP client, adopted clients, database pool and
    SQLAlchemy engine (each only if it was made; asyncpg and SQLAlchemy only if installed)."""
    from ._adopt import close_adopted
    from ._http import close_http_client

    await close_http_client()
    await close_adopted()
    try:
        from ._pg import close_db_pool
    except ImportError:  # no asyncpg: no pool
        pass
    else:
        await close_db_pool()
    try:
        from ._sqla_session import dispose_engine
    except ImportError:  # no SQLAlchemy: no engine
        pass
    else:
        await dispose_engine()


def _freeze() -> bool:
    if os.environ.get("ASYNCIFY_GC_FREEZE", "1").strip() in ("0", "false", "no"):
        return False
    gc.collect()  # today's garbage is not frozen with the rest
    gc.freeze()
    return True


@asynccontextmanager
async def serving_lifespan(app: Any) -> AsyncIterator[None]:
    """Startup: freeze the heap as it is (see the module docstring). Shutdown: close
    :func:`close_loop_resources`' resources, unfreeze."""
    frozen = _freeze()
    try:
        yield
    finally:
        try:
            await close_loop_resources()
        finally:
            if frozen:
                gc.unfreeze()
