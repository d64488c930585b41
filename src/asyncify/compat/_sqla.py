"""Runtime helpers for code migrated from (Flask-)SQLAlchemy to SQLAlchemy asyncio (§4).

Flask-SQLAlchemy has no async mode: ``Model.query.get_or_404``, ``first_or_404`` and
``paginate`` have no ``AsyncSession`` equivalent. The rewrites (ASY4xx) call these instead,
with the session passed explicitly; they run the same SQL as Flask-SQLAlchemy 3.1 and keep its
404s and its ``Pagination`` fields. ``async_url`` names an async driver in a database URL that
is only known at run time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from math import ceil
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import MultipleResultsFound, NoResultFound
from sqlalchemy.orm import lazyload

if TYPE_CHECKING:
    from sqlalchemy import Select
    from sqlalchemy.engine import URL
    from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

T = TypeVar("T")

# Sync driver → the async driver SQLAlchemy ships a dialect for.
_ASYNC_DRIVERS = {
    "postgresql": "postgresql+asyncpg",
    "postgresql+psycopg2": "postgresql+asyncpg",
    "postgresql+pg8000": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
    "sqlite": "sqlite+aiosqlite",
    "sqlite+pysqlite": "sqlite+aiosqlite",
    "mysql": "mysql+aiomysql",
    "mysql+pymysql": "mysql+aiomysql",
    "mysql+mysqldb": "mysql+aiomysql",
}
_ALREADY_ASYNC = frozenset({"postgresql+asyncpg", "postgresql+psycopg", "sqlite+aiosqlite",
                            "mysql+aiomysql", "mysql+asyncmy"})
# libpq options asyncpg does not take in the URL's query string (semantics.md §4, §2d).
_LIBPQ_ONLY = frozenset({"sslmode", "options", "connect_timeout", "application_name",
                         "target_session_attrs", "sslrootcert", "sslcert", "sslkey"})


def async_url(url: str | URL) -> URL:
    """``url`` with its driver swapped for the async one (``postgresql://`` →
    ``postgresql+asyncpg://``); an async URL is returned unchanged.

    :raises ValueError: an unknown driver, or libpq-only query options (``sslmode``…) that
        asyncpg would reject: pass them as ``connect_args`` (``ssl=``, ``server_settings=``).
    """
    parsed = make_url(url)
    name = parsed.drivername
    if name in _ALREADY_ASYNC:
        return parsed
    target = _ASYNC_DRIVERS.get(name)
    if target is None:
        raise ValueError(f"no async driver known for {name!r} in the database URL; name one "
                         "yourself (e.g. postgresql+asyncpg://)")
    if target == "postgresql+asyncpg":
        libpq = sorted(set(parsed.query) & _LIBPQ_ONLY)
        if libpq:
            raise ValueError(f"the database URL has libpq options {libpq!r} that asyncpg does "
                             "not take; move them to create_async_engine(connect_args=...) "
                             "(ssl=, server_settings=, timeout=)")
    return parsed.set(drivername=target)


# The async dialects' DBAPI packages: none of them comes with SQLAlchemy.
_DRIVER_PACKAGES = {"asyncpg": "asyncpg", "aiosqlite": "aiosqlite", "aiomysql": "aiomysql",
                    "asyncmy": "asyncmy", "psycopg": "psycopg"}


def require_driver(url: str | URL) -> None:
    """Fail with what to install when the async driver ``url`` names is missing (SQLAlchemy
    says only ``No module named 'aiosqlite'``, at the first request).

    :raises RuntimeError: the driver's package is not installed.
    """
    import importlib.util

    parsed = make_url(url)
    package = _DRIVER_PACKAGES.get(parsed.get_driver_name())
    if package is not None and importlib.util.find_spec(package) is None:
        raise RuntimeError(
            f"the migrated endpoints' database engine ({parsed.drivername}://, the async "
            f"driver for the legacy app's {parsed.get_backend_name()} database) needs the "
            f"{package} package, which is not installed: pip install {package}")


def _not_found(description: str | None) -> NoReturn:
    from ._flask import abort  # FastAPI and Werkzeug: only when a 404 is raised

    abort(404, description)


async def get_or_404(session: AsyncSession, entity: Any, ident: Any,
                     *, description: str | None = None) -> Any:
    """``db.get_or_404(Model, id)`` / ``Model.query.get_or_404(id)``: ``session.get`` or a
    Flask-style 404 (:func:`asyncify.compat.abort`)."""
    found = await session.get(entity, ident)
    if found is None:
        _not_found(description)
    return found


async def first_or_404(session: AsyncSession, statement: Select[Any],
                       *, description: str | None = None) -> Any:
    """``db.first_or_404(select(...))``: the first column of the first row, or a 404.
    For ``Model.query…first_or_404()`` the rewrite passes ``statement.limit(1)``, as
    ``Query.first`` did."""
    found = (await session.execute(statement)).scalar()
    if found is None:
        _not_found(description)
    return found


async def one_or_404(session: AsyncSession, statement: Select[Any],
                     *, description: str | None = None) -> Any:
    """``db.one_or_404(select(...))``: exactly one row's first column, or a 404 (none or
    several rows)."""
    try:
        return (await session.execute(statement)).scalar_one()
    except (NoResultFound, MultipleResultsFound):
        _not_found(description)


@dataclass
class Pagination:
    """The fields of Flask-SQLAlchemy's ``Pagination`` that a view reads (no ``next()``:
    fetching another page is another ``await paginate(...)``)."""

    page: int
    per_page: int
    max_per_page: int | None
    items: list[Any] = field(default_factory=list)
    total: int | None = None

    @property
    def first(self) -> int:
        return 0 if not self.items else (self.page - 1) * self.per_page + 1

    @property
    def last(self) -> int:
        return max(self.first, self.first + len(self.items) - 1)

    @property
    def pages(self) -> int:
        return 0 if not self.total else ceil(self.total / self.per_page)

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def prev_num(self) -> int | None:
        return self.page - 1 if self.has_prev else None

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def next_num(self) -> int | None:
        return self.page + 1 if self.has_next else None

    def __iter__(self) -> Any:
        return iter(self.items)


async def paginate(session: AsyncSession, statement: Select[Any], *, page: int,
                   per_page: int, max_per_page: int | None = 100, error_out: bool = True,
                   count: bool = True) -> Pagination:
    """``Model.query….paginate(...)`` / ``db.paginate(select(...))`` with ``page`` and
    ``per_page`` given explicitly (Flask-SQLAlchemy reads them from ``request.args`` when they
    are not: the rewrite leaves a TODO there). Same SQL, same 404s, same fields."""
    if max_per_page is not None:
        per_page = min(per_page, max_per_page)
    if page < 1:
        if error_out:
            _not_found(None)
        page = 1
    if per_page < 1:
        if error_out:
            _not_found(None)
        per_page = 20
    window = statement.limit(per_page).offset((page - 1) * per_page)
    items = list((await session.execute(window)).unique().scalars())
    if not items and page != 1 and error_out:
        _not_found(None)
    total = None
    if count:
        sub = statement.options(lazyload("*")).order_by(None).subquery()
        total = (await session.execute(select(func.count()).select_from(sub))).scalar()
    return Pagination(page, per_page, max_per_page, items, total)


async def run_sync(engine: AsyncEngine, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``fn(connection, *args, **kwargs)`` for sync-only APIs (``metadata.create_all``,
    ``inspect``) on an async engine, in one transaction: what ``create_all(engine)`` did."""
    async with engine.begin() as conn:
        return await conn.run_sync(fn, *args, **kwargs)
