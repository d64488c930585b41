"""The request's ``AsyncSession``: what ``db.session`` becomes in migrated Flask-SQLAlchemy code.

Flask-SQLAlchemy has no async mode; its ``db.session`` is a sync session scoped to the app
context and removed at teardown (which rolls back what was not committed). A migrated
endpoint takes ``session: AsyncSession = Depends(request_session)`` instead: one session per
request, from an async engine built on the legacy app's own settings (the URL its
Flask-SQLAlchemy engine uses, with the async driver of :func:`async_url`, and the pool options
of ``SQLALCHEMY_ENGINE_OPTIONS``), closed when the request ends (rolling back the same way).
Helpers that read ``db.session`` themselves call :func:`current_session`.

An async engine's pool belongs to the event loop that opened its connections, so there is
one engine per loop (a uvicorn worker has one; a test or the bridge may run another). It is
disposed when its loop shuts down (``asyncio.run`` and uvicorn finalise async generators
then), or by :func:`dispose_engine` from a lifespan. Sessions are made with
``expire_on_commit=False``: reading an attribute that ``commit()`` expired would be a lazy
load, and a lazy load outside ``run_sync`` raises ``MissingGreenlet`` (semantics.md §4).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator, Mapping
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

# Engine options that mean the same on an async engine (its pool is the same QueuePool
# logic); driver-specific ones (connect_args, creator, isolation_level names) are not copied.
_POOL_OPTIONS = frozenset({"pool_size", "max_overflow", "pool_timeout", "pool_recycle",
                           "pool_pre_ping", "pool_use_lifo", "pool_reset_on_return", "echo",
                           "echo_pool", "hide_parameters"})

_factories: dict[asyncio.AbstractEventLoop, async_sessionmaker[AsyncSession]] = {}
_closers: dict[asyncio.AbstractEventLoop, AsyncGenerator[None, None]] = {}
_current: ContextVar[AsyncSession | None] = ContextVar("asyncify_sqla_session", default=None)


def engine_options(config: Mapping[str, Any]) -> dict[str, Any]:
    """The async engine's keyword arguments from a Flask config: the pool options of
    ``SQLALCHEMY_ENGINE_OPTIONS`` (others are sync-driver specific and left out)."""
    options = config.get("SQLALCHEMY_ENGINE_OPTIONS") or {}
    return {k: v for k, v in options.items() if k in _POOL_OPTIONS}


def _database_url(config: Mapping[str, Any], legacy: Any = None) -> str:
    """The legacy app's database URL: the one its Flask-SQLAlchemy engine was made with
    (``legacy``: the app), which applied the extension's own rules (a relative SQLite path
    is under ``app.instance_path``, MySQL gets ``charset=utf8mb4``); else the config's."""
    extension = getattr(legacy, "extensions", {}).get("sqlalchemy")
    if extension is not None:
        try:
            with legacy.app_context():
                engine = extension.engine
        except (KeyError, RuntimeError):  # no default bind
            engine = None
        if engine is not None:
            rendered: str = engine.url.render_as_string(hide_password=False)
            return rendered
    url = config.get("SQLALCHEMY_DATABASE_URI")
    if not url:
        binds = config.get("SQLALCHEMY_BINDS") or {}
        url = binds.get(None) if isinstance(binds, Mapping) else None
    if not url:
        raise RuntimeError("the legacy Flask app has no SQLALCHEMY_DATABASE_URI: the migrated "
                           "endpoints cannot open the request's AsyncSession (set it in the "
                           "app factory, as Flask-SQLAlchemy requires)")
    return str(url)


async def _factory() -> async_sessionmaker[AsyncSession]:
    from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

    from ._flask import _legacy, current_config
    from ._sqla import async_url, require_driver

    loop = asyncio.get_running_loop()
    factory = _factories.get(loop)
    if factory is None:
        config = current_config()
        url = _database_url(config, _legacy.get("app"))
        target = async_url(url)
        require_driver(target)
        engine = create_async_engine(target, **engine_options(config))
        factory = async_sessionmaker(engine, expire_on_commit=False)
        _factories[loop] = factory  # before any await: concurrent first requests share it
        closer = _dispose_at_shutdown(engine)
        _closers[loop] = closer
        await anext(closer)  # parked: the loop's shutdown_asyncgens() disposes the engine
    return factory


async def _dispose_at_shutdown(engine: AsyncEngine) -> AsyncGenerator[None, None]:
    try:
        yield
    finally:
        await engine.dispose()


async def request_session() -> AsyncIterator[AsyncSession]:
    """A FastAPI dependency: the request's ``AsyncSession`` (``db.session`` in the legacy
    view), closed when the request ends; what was not committed is rolled back, as
    Flask-SQLAlchemy's app-context teardown did.

    :raises SandboxViolation: in a sandboxed shadow run (the session is not sandboxed yet).
    """
    from ._sandbox import SandboxViolation, in_sandbox

    if in_sandbox():
        raise SandboxViolation("sandboxed shadow run: the SQLAlchemy session is not "
                               "sandboxed; this endpoint cannot be shadowed for writes")
    async with (await _factory())() as session:
        _current.set(session)
        try:
            yield session
        finally:
            _current.set(None)


def current_session() -> AsyncSession:
    """The session :func:`request_session` opened for this request, for helpers that read
    ``db.session`` themselves instead of taking the session as an argument.

    :raises RuntimeError: no migrated request is being served in this task.
    """
    session = _current.get()
    if session is None:
        raise RuntimeError("no request AsyncSession here: current_session() works inside a "
                           "migrated endpoint that takes Depends(request_session)")
    return session


async def dispose_engine() -> None:
    """Dispose of the running loop's engine, if it has one (from a lifespan shutdown)."""
    loop = asyncio.get_running_loop()
    _factories.pop(loop, None)
    closer = _closers.pop(loop, None)
    if closer is not None:
        await closer.aclose()
