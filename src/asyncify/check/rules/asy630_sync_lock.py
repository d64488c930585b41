"""ASY630: a ``threading`` lock held across ``await``."""

from __future__ import annotations

from collections.abc import Iterator

from .._context import Context
from .._model import Example, Finding, Rule, register

# What the catalog's [types] say threading.Lock(), RLock(), Semaphore()... return.
LOCKS = frozenset({"threading.Lock", "threading.Semaphore", "threading.Condition"})


def find(ctx: Context) -> Iterator[Finding]:
    for fn in ctx.async_functions():
        for ref, line, col in fn.summary.held_across_await:
            value = ctx.resolve(ref, fn)
            if value is None or value.kind != "obj" or value.qname not in LOCKS:
                continue
            yield ctx.finding(
                "ASY630", fn.qname, line, col,
                f"{value.qname} is held across await in async def {ctx.short(fn.qname)}: "
                "another task that takes it blocks the whole loop (deadlock if it is this "
                "thread's); use asyncio.Lock with async with",
                value.qname)


RULE = register(Rule(
    id="ASY630",
    name="thread-lock-across-await",
    summary="A threading.Lock/RLock/Semaphore/Condition held by `with` around an await.",
    flake8_async="",
    before=Example('''
import threading

lock = threading.Lock()

async def refresh(client):
    with lock:  # flagged
        await client.get("/refresh")
'''),
    after=Example('''
import asyncio

lock = asyncio.Lock()

async def refresh(client):
    async with lock:
        await client.get("/refresh")
''', "an asyncio.Lock suspends the waiting task, not the loop"),
    valid=(
        Example('''
import threading

lock = threading.Lock()
counter = {"n": 0}

async def bump(client):
    with lock:
        counter["n"] += 1
    await client.get("/bumped")
''', "released before the await: held only for a moment"),
    ),
    invalid=(
        Example('''
import threading

class Store:
    def __init__(self):
        self._lock = threading.RLock()

    async def save(self, db):
        with self._lock:  # flagged
            await db.execute("UPDATE t SET n = n + 1")
''', "an RLock kept on self"),
    ),
    find=find,
))
