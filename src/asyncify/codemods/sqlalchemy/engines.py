"""ASY401: ``create_engine`` → ``create_async_engine`` with an async driver in the URL.

A literal ``postgresql://`` / ``postgresql+psycopg2://`` URL becomes
``postgresql+asyncpg://``; a URL known only at run time goes through
``asyncify.compat.async_url``, which swaps the driver and refuses libpq-only options with a
clear error. ``connect_args`` are libpq options that asyncpg does not take: TODO.
Runs at module level too: an ``AsyncEngine`` connects on first use, not when created.
"""

from __future__ import annotations

import re

import libcst as cst

from .._rule import Example, Rule, register
from ._chain import keyword

_FACTORIES = {"sqlalchemy.create_engine", "sqlalchemy.engine.create_engine"}
_SYNC_PG = re.compile(r"^(?P<q>[rRuU]?['\"]{1,3})(?:postgresql|postgres)(?:\+psycopg2|\+pg8000)?://")
_LIBPQ = re.compile(r"[?&](sslmode|options|connect_timeout|application_name)=")


@register
class AsyncEngine(Rule):
    id = "ASY401"
    title = ("create_engine('postgresql://…') becomes create_async_engine('postgresql+asyncpg"
             "://…'); a run-time URL goes through asyncify.compat.async_url")
    gate = frozenset({"sqlalchemy"})
    triggers = frozenset({"create_engine"})
    async_only = False
    examples = (
        Example(
            "from sqlalchemy import create_engine\n\n"
            "engine = create_engine('sqlite:///:memory:')\n",
            "from sqlalchemy import create_engine\n\n"
            "engine = create_engine('sqlite:///:memory:')\n",
            why="not PostgreSQL: the async driver (aiosqlite) is another dependency to choose",
        ),
        Example(
            "from sqlalchemy import create_engine\n\n"
            "engine = create_engine('postgresql+psycopg2://app@db/notes', pool_size=5)\n",
            "from sqlalchemy import create_engine\n"
            "from sqlalchemy.ext.asyncio import create_async_engine\n\n"
            "engine = create_async_engine('postgresql+asyncpg://app@db/notes', pool_size=5)\n",
        ),
        Example(
            "import os\nimport sqlalchemy as sa\n\n"
            "engine = sa.create_engine(os.environ['DATABASE_URL'])\n",
            "import os\nimport sqlalchemy as sa\n"
            "from asyncify.compat import async_url\n"
            "from sqlalchemy.ext.asyncio import create_async_engine\n\n"
            "engine = create_async_engine(async_url(os.environ['DATABASE_URL']))\n",
        ),
        Example(
            "from sqlalchemy import create_engine\n\n"
            "engine = create_engine(URL, connect_args={'sslmode': 'require'})\n",
            "from sqlalchemy import create_engine\n\n"
            "# TODO[asyncify ASY401]: connect_args are libpq options; asyncpg takes ssl=, "
            "server_settings=, timeout= instead — "
            "https://asyncify.readthedocs.io/en/latest/rules/#asy401\n"
            "engine = create_engine(URL, connect_args={'sslmode': 'require'})\n",
        ),
    )

    def leave_Call(self, original: cst.Call,
                   updated: cst.BaseExpression) -> cst.BaseExpression:
        if not isinstance(updated, cst.Call):
            return updated  # another rule replaced it
        if not self.p.qualified(original.func) & _FACTORIES:
            return updated
        positional = [a for a in updated.args if a.keyword is None and not a.star]
        if keyword(updated, "connect_args") is not None:
            self.p.todo(self.id, original, "connect_args are libpq options; asyncpg takes ssl=, "
                        "server_settings=, timeout= instead")
            return updated
        if not positional or any(a.star for a in updated.args):
            self.p.todo(self.id, original, "no URL argument the rewrite can read")
            return updated
        url = positional[0]
        if isinstance(url.value, cst.SimpleString):
            text = url.value.value
            if not _SYNC_PG.match(text):
                return updated  # another database, or already async
            if _LIBPQ.search(text):
                self.p.todo(self.id, original, "the URL has libpq options that asyncpg does not "
                            "take; move them to connect_args (ssl=, server_settings=)")
                return updated
            new_url: cst.BaseExpression = url.value.with_changes(value=_SYNC_PG.sub(
                lambda m: f"{m['q']}postgresql+asyncpg://", text, count=1))
        elif isinstance(url.value, cst.BaseString):
            self.p.todo(self.id, original, "a formatted URL: name the async driver in it "
                        "(postgresql+asyncpg://)")
            return updated
        else:
            self.p.need_import("asyncify.compat", "async_url")
            new_url = cst.Call(cst.Name("async_url"), [cst.Arg(url.value)])
        self.p.need_import("sqlalchemy.ext.asyncio", "create_async_engine")
        self.p.changed(self.id)
        args = [url.with_changes(value=new_url) if a is url else a for a in updated.args]
        return updated.with_changes(func=cst.Name("create_async_engine"), args=args)
