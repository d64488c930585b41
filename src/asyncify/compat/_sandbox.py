"""The shadow sandbox: run the async variant of a write endpoint without its effects.

``asyncify.rollout`` shadows a non-idempotent request (a ``POST``) only when the sandbox is
on. Inside :func:`sandboxed` (a context variable, so it follows the shadow task, its child
tasks and ``to_thread`` calls, and nothing else):

- every connection taken from :func:`asyncify.compat.db_pool` runs inside a transaction that
  is rolled back when it goes back to the pool (the twin's own ``conn.transaction()`` blocks
  become savepoints, so its commits commit nothing);
- every outbound httpx request other than ``GET``/``HEAD``/``OPTIONS`` raises
  :class:`SandboxViolation` before anything is sent (any ``httpx.AsyncClient``);
- the per-request SQLAlchemy session is refused (:class:`SandboxViolation`): it is not
  sandboxed yet, so an endpoint using it cannot be shadowed for writes.

A violation ends the shadow run as an error the rollout records; the user's response, which
legacy served, is never affected.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import AsyncIterator, Iterator
from typing import Any

_ACTIVE: contextvars.ContextVar[bool] = contextvars.ContextVar("asyncify_sandbox",
                                                               default=False)
_SAFE = frozenset({"GET", "HEAD", "OPTIONS"})
_patched = False


class SandboxViolation(RuntimeError):
    """A sandboxed shadow run tried to have an effect outside its rolled-back transaction."""


def in_sandbox() -> bool:
    """Whether the running code is a sandboxed shadow run."""
    return _ACTIVE.get()


@contextlib.contextmanager
def sandboxed() -> Iterator[None]:
    """Run the enclosed code (and the tasks it starts) in the sandbox."""
    _guard_httpx()
    token = _ACTIVE.set(True)
    try:
        yield
    finally:
        _ACTIVE.reset(token)


def _guard_httpx() -> None:
    """Wrap ``httpx.AsyncClient.send`` once: outside the sandbox it only reads a context
    variable; inside it refuses methods that may change something upstream."""
    global _patched
    if _patched:
        return
    import httpx

    original = httpx.AsyncClient.send

    async def send(self: httpx.AsyncClient, request: httpx.Request, **kwargs: Any) -> Any:
        if _ACTIVE.get() and request.method not in _SAFE:
            raise SandboxViolation(f"sandboxed shadow run: outbound {request.method} "
                                   f"{request.url} blocked")
        return await original(self, request, **kwargs)

    httpx.AsyncClient.send = send  # type: ignore[method-assign]
    _patched = True


class SandboxPool:
    """An asyncpg pool whose connections are lent inside a transaction rolled back on return
    (what :func:`asyncify.compat.db_pool` hands out in the sandbox)."""

    def __init__(self, pool: Any) -> None:
        self._pool = pool

    @contextlib.asynccontextmanager
    async def acquire(self, *args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        async with self._pool.acquire(*args, **kwargs) as conn:
            transaction = conn.transaction()
            await transaction.start()
            try:
                yield conn
            finally:
                await transaction.rollback()

    async def _run(self, method: str, *args: Any, **kwargs: Any) -> Any:
        async with self.acquire() as conn:
            return await getattr(conn, method)(*args, **kwargs)

    async def execute(self, *args: Any, **kwargs: Any) -> Any:
        return await self._run("execute", *args, **kwargs)

    async def executemany(self, *args: Any, **kwargs: Any) -> Any:
        return await self._run("executemany", *args, **kwargs)

    async def fetch(self, *args: Any, **kwargs: Any) -> Any:
        return await self._run("fetch", *args, **kwargs)

    async def fetchrow(self, *args: Any, **kwargs: Any) -> Any:
        return await self._run("fetchrow", *args, **kwargs)

    async def fetchval(self, *args: Any, **kwargs: Any) -> Any:
        return await self._run("fetchval", *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        if name in ("copy_to_table", "copy_records_to_table", "copy_from_query",
                    "copy_from_table", "fetchmany", "release"):
            raise SandboxViolation(f"sandboxed shadow run: pool.{name} is not sandboxed; "
                                   "use it on an acquired connection")
        return getattr(self._pool, name)
