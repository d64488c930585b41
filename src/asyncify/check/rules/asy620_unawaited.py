"""ASY620: a coroutine created and never awaited (a dropped call, or a call as a condition)."""

from __future__ import annotations

from collections.abc import Iterator

from .._context import Context
from .._model import Example, Finding, Rule, register

# Coroutine functions outside the project that people forget to await.
KNOWN = frozenset({
    "asyncio.sleep", "asyncio.wait_for", "asyncio.wait", "asyncio.open_connection",
    "asyncio.create_subprocess_exec", "asyncio.create_subprocess_shell", "asyncio.to_thread",
    "anyio.sleep", "trio.sleep",
})


def find(ctx: Context) -> Iterator[Finding]:
    for fn in ctx.functions.values():
        for call in fn.summary.calls:
            if call.context not in ("stmt", "bool"):
                continue
            func = call.ref[1]
            if not (ctx.may_be_async(func) or func[-1] in _KNOWN_TAILS):
                continue
            value = ctx.resolve(func, fn)
            if value is None or value.kind != "sym":
                continue
            if not (ctx.is_coroutine_function(value.qname) or value.qname in KNOWN):
                continue
            name = ctx.short(value.qname)
            if call.context == "stmt":
                message = f"coroutine {name}() is created and never awaited; add await"
            else:
                message = (f"{name}() returns a coroutine, which is always true in a "
                           "condition; await it")
            yield ctx.finding("ASY620", fn.qname, call.line, call.col, message,
                              f"{value.qname}|{call.context}")


_KNOWN_TAILS = frozenset(name.rpartition(".")[2] for name in KNOWN)

RULE = register(Rule(
    id="ASY620",
    name="coroutine-never-awaited",
    summary="A call to an async function whose coroutine is dropped or tested for truth.",
    flake8_async="",
    before=Example('''
async def is_in_stock(isbn):
    return True

async def save(isbn):
    ...

async def order(isbn):
    if is_in_stock(isbn):  # flagged
        save(isbn)  # flagged
'''),
    after=Example('''
async def is_in_stock(isbn):
    return True

async def save(isbn):
    ...

async def order(isbn):
    if await is_in_stock(isbn):
        await save(isbn)
''', "both coroutines are awaited"),
    valid=(
        Example('''
import asyncio

async def save(isbn):
    ...

async def order(isbn):
    task = asyncio.create_task(save(isbn))
    await task
''', "handed to create_task, which runs it"),
        Example('''
async def rows():
    yield 1

async def first():
    async for row in rows():
        return row
''', "an async generator is iterated, not awaited"),
    ),
    invalid=(
        Example('''
import asyncio

class Cart:
    async def refresh(self):
        ...

    async def checkout(self):
        self.refresh()  # flagged
        asyncio.sleep(1)  # flagged
        while not self.refresh():  # flagged
            pass
''', "methods, negated conditions, and stdlib coroutines"),
    ),
    find=find,
))
