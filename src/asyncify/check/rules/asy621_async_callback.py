"""ASY621: an async function handed to an API that calls its callback synchronously."""

from __future__ import annotations

from collections.abc import Iterator

from ..._resolve import FunctionDef
from ..._summary import Ref
from .._context import Context
from .._model import Example, Finding, Rule, register

# Callables that call the function they are given and ignore (or misuse) its result.
CONSUMERS = frozenset({
    "builtins.sorted", "builtins.min", "builtins.max", "builtins.map", "builtins.filter",
    "functools.reduce", "threading.Thread", "threading.Timer", "atexit.register",
    "signal.signal", "asyncio.to_thread",
})
# Methods of that kind, matched by name (executors, event loops, futures, list.sort).
METHODS = frozenset({
    "run_in_executor", "submit", "call_soon", "call_soon_threadsafe", "call_later", "call_at",
    "add_done_callback", "sort", "add_signal_handler", "add_reader", "add_writer",
})


def find(ctx: Context) -> Iterator[Finding]:
    for fn in ctx.functions.values():
        for call in fn.summary.calls:
            _, func, args, kwargs, _, _ = call.ref
            values = [a for a in (*args, *(v for _, v in kwargs)) if ctx.may_be_async(a)]
            if not values:
                continue
            consumer = _consumer(ctx, func, fn)
            if consumer is None:
                continue
            for arg in values:
                value = ctx.resolve(arg, fn)
                if value is None or value.kind != "sym":
                    continue
                if not ctx.is_coroutine_function(value.qname):
                    continue
                name = ctx.short(value.qname)
                yield ctx.finding(
                    "ASY621", fn.qname, call.line, call.col,
                    f"async function {name} is passed to {consumer}, which calls it like a "
                    "sync function: the coroutine is never awaited; pass a sync function or "
                    "schedule it with asyncio.create_task",
                    f"{value.qname}|{consumer}")


def _consumer(ctx: Context, func: Ref, fn: FunctionDef) -> str | None:
    if func[0] == "a" and func[2] in METHODS:
        return f".{func[2]}()"
    value = ctx.resolve(func, fn)
    if value is not None and value.kind == "sym" and value.qname in CONSUMERS:
        return f"{value.qname.removeprefix('builtins.')}()"
    return None


RULE = register(Rule(
    id="ASY621",
    name="async-function-as-sync-callback",
    summary="An async function passed where a sync callback is called (sorted key, Thread "
    "target, executor, loop.call_soon, map).",
    flake8_async="",
    before=Example('''
import threading

async def warm_cache():
    ...

def start():
    threading.Thread(target=warm_cache).start()  # flagged
'''),
    after=Example('''
import asyncio
import threading

async def warm_cache():
    ...

def start():
    threading.Thread(target=asyncio.run, args=(warm_cache(),)).start()
''', "the thread runs the coroutine on its own loop"),
    valid=(
        Example('''
import asyncio

async def tick():
    ...

async def main():
    async with asyncio.TaskGroup() as tg:
        tg.create_task(tick())
''', "a task group awaits what it is given"),
    ),
    invalid=(
        Example('''
import asyncio

async def score(book):
    return 1

async def rank(books, loop):
    ordered = sorted(books, key=score)  # flagged
    loop.call_soon(score)  # flagged
    return list(map(score, ordered))  # flagged
'''),
    ),
    find=find,
))
