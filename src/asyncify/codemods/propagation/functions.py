"""ASY901: a function the analysis chose becomes ``async def``; one that must stay ``def`` because
sync code calls it, chosen as a *shell* (in place, when keeping it sync would keep what it
enters sync), keeps its ``def`` and runs its body on the bridge (:mod:`.shell`)."""

from __future__ import annotations

import libcst as cst

from .._rule import Example, Rule, register
from .keep import refuse
from .shell import bridged, refusal

_CONTEXT_MANAGERS = {"contextlib.contextmanager": "asynccontextmanager"}


@register
class MakeAsync(Rule):
    id = "ASY901"
    title = (
        "a function whose every blocking call is converted becomes async def "
        "(@contextmanager becomes @asynccontextmanager); one sync code must call keeps def "
        "and runs its body through run_async when that lets what it enters convert"
    )
    async_only = False
    examples = (
        Example(
            "import time\n\ndef pause():\n    time.sleep(1)\n\ndef pure(x):\n    return x + 1\n",
            "import time\nimport asyncio\n\nasync def pause():\n    await asyncio.sleep(1)\n\n"
            "def pure(x):\n    return x + 1\n",
            propagate=True,
        ),
        Example(
            "import smtplib\n\ndef send(msg):\n    smtplib.SMTP('mail').send_message(msg)\n",
            "import smtplib\n\ndef send(msg):\n    smtplib.SMTP('mail').send_message(msg)\n",
            why="SMTP is not converted: a function still blocking must stay sync",
            propagate=True,
        ),
        Example(
            "import time\nfrom contextlib import contextmanager\n\n@contextmanager\n"
            "def slowly():\n    time.sleep(0.1)\n    yield\n\ndef work():\n"
            "    with slowly():\n        return 1\n",
            "import time\nfrom contextlib import contextmanager, asynccontextmanager\n"
            "import asyncio\n\n@asynccontextmanager\nasync def slowly():\n"
            "    await asyncio.sleep(0.1)\n    yield\n\nasync def work():\n"
            "    async with slowly():\n        return 1\n",
            propagate=True,
        ),
        Example(
            "from psycopg2.extensions import connection\n\n"
            "def title(conn: connection, book_id):\n    with conn.cursor() as cur:\n"
            "        cur.execute('SELECT title FROM books WHERE id = %s', (book_id,))\n"
            "        return cur.fetchone()[0]\n",
            "from psycopg2.extensions import connection\n\n"
            "async def title(conn: connection, book_id):\n"
            "    return (await conn.fetchrow('SELECT title FROM books WHERE id = $1', "
            "book_id))[0]\n",
            propagate=True,
        ),
        Example(
            "from psycopg2.extensions import connection\n\n"
            "def audit(conn: connection, book_id):\n    with conn.cursor() as cur:\n"
            "        print(cur.mogrify('SELECT %s', (book_id,)))\n"
            "        cur.execute('SELECT %s', (book_id,))\n",
            "from psycopg2.extensions import connection\n\n"
            "# TODO[asyncify ASY901]: stays sync: ASY301 left blocking code in it: cur.mogrify "
            "has no asyncpg equivalent (parameters are bound server-side) — "
            "https://asyncify.readthedocs.io/en/latest/rules/#asy901\n"
            "def audit(conn: connection, book_id):\n    with conn.cursor() as cur:\n"
            "        print(cur.mogrify('SELECT %s', (book_id,)))\n"
            "        cur.execute('SELECT %s', (book_id,))\n",
            propagate=True,
        ),
        Example(
            "import time\nfrom contextlib import contextmanager\n\nimport click\n\n\n"
            "@contextmanager\ndef opened():\n    time.sleep(0.1)\n    yield 1\n\n\n"
            "@click.command('load')\ndef load():\n    \"\"\"Load it.\"\"\"\n"
            "    with opened() as n:\n        click.echo(n)\n\n\n"
            "click.Group().add_command(load)\n",
            "import time\nfrom contextlib import contextmanager, asynccontextmanager\n\n"
            "import click\nimport asyncio\nfrom asyncify.bridge import run_async\n\n\n"
            "@asynccontextmanager\nasync def opened():\n    await asyncio.sleep(0.1)\n"
            "    yield 1\n\n\n"
            "# TODO[asyncify ASY901]: stays def, body bridged: it is passed as a value to code "
            "that calls it synchronously; meanwhile its body runs on the event loop through "
            "asyncify.bridge.run_async (call it from sync code only) — "
            "https://asyncify.readthedocs.io/en/latest/rules/#asy901\n"
            "@click.command('load')\ndef load():\n    \"\"\"Load it.\"\"\"\n"
            "    async def _body():\n        async with opened() as n:\n"
            "            click.echo(n)\n    return run_async(_body)\n\n\n"
            "click.Group().add_command(load)\n",
            propagate=True,
        ),
    )

    def leave_FunctionDef(
        self, original: cst.FunctionDef, updated: cst.FunctionDef
    ) -> cst.FunctionDef:
        shell = self.p.file.shells.get(self.p.qualname())
        if shell is not None and updated.asynchronous is None:
            return self._bridged(original, updated, shell)
        reason = self.p.file.blocked.get(self.p.qualname())
        if reason is not None and updated.asynchronous is None:
            marked: cst.FunctionDef = self.p.marked(self.id, original, f"stays sync: {reason}",
                                                    updated)
            return marked
        if updated.asynchronous is not None or self.p.qualname() not in self.p.file.make_async:
            return updated
        decorators = []
        for decorator in updated.decorators:
            target = decorator.decorator
            names = self.p.qualified(target)
            replacement = next((_CONTEXT_MANAGERS[n] for n in names if n in _CONTEXT_MANAGERS),
                               None)
            if replacement is not None:
                self.p.need_import("contextlib", replacement)
                decorator = decorator.with_changes(decorator=cst.Name(replacement))
            decorators.append(decorator)
        self.p.changed(self.id)
        return updated.with_changes(asynchronous=cst.Asynchronous(), decorators=decorators)

    def _bridged(self, original: cst.FunctionDef, updated: cst.FunctionDef,
                 reason: str) -> cst.FunctionDef:
        """Keep the ``def`` sync code calls, run its body on the bridge (``shell``)."""
        why = refusal(original)
        if why is not None:  # the analysis keeps it (and what it enters) sync next round
            refuse(self.p, why)
            return updated
        self.p.need_import("asyncify.bridge", "run_async")
        self.p.changed(self.id)
        marked: cst.FunctionDef = self.p.marked(
            self.id, original, f"stays def, body bridged: {reason}; meanwhile its body runs "
            "on the event loop through asyncify.bridge.run_async (call it from sync code "
            "only)", bridged(original, updated))
        return marked
