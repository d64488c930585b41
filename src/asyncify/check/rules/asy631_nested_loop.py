"""ASY631: ``asyncio.run`` (or ``run_until_complete``) reached from async code."""

from __future__ import annotations

from collections.abc import Iterator

from ..._resolve import FunctionDef
from .._context import Context
from .._model import Example, Finding, Rule, register

RUNNERS = frozenset({"asyncio.run", "asyncio.runners.run"})


def _runs(ctx: Context, fn: FunctionDef) -> Iterator[tuple[int, int, str]]:
    for call in ctx.live_calls(fn):
        func = call.ref[1]
        if func[0] == "a" and func[2] == "run_until_complete":
            yield call.line, call.col, "loop.run_until_complete"
        elif func[-1] == "run":
            value = ctx.resolve(func, fn)
            if value is not None and value.kind == "sym" and value.qname in RUNNERS:
                yield call.line, call.col, "asyncio.run"


def find(ctx: Context) -> Iterator[Finding]:
    fix = "await the coroutine instead"
    for fn in ctx.async_functions():
        for line, col, name in _runs(ctx, fn):
            yield ctx.finding(
                "ASY631", fn.qname, line, col,
                f"{name}() inside async def {ctx.short(fn.qname)} fails: a loop is already "
                f"running; {fix}", name)
        for first in ctx.graph.edges.get(fn.qname, ()):
            if not ctx.runs_inline(fn.qname, first):
                continue
            parent = ctx.below(first.callee)
            for helper in parent:
                for line, _, name in _runs(ctx, ctx.functions[helper]):
                    chain = ctx.chain(parent, helper)
                    yield ctx.finding(
                        "ASY631", fn.qname, first.line, ctx.col_of(fn.qname, first.line),
                        f"async def {ctx.short(fn.qname)} calls sync helper "
                        f"{ctx.short(first.callee)}(), which calls {name}() at "
                        f"{ctx.path_of(helper)}:{line}: a loop is already running; make the "
                        f"helper async and {fix}",
                        f"{first.callee}|{helper}|{name}", ctx.steps(first, chain))


RULE = register(Rule(
    id="ASY631",
    name="nested-event-loop",
    summary="asyncio.run or loop.run_until_complete called from async code, directly or "
    "through sync helpers (RuntimeError at run time).",
    flake8_async="",
    before=Example('''
import asyncio

async def fetch_price(isbn):
    return 10

def price(isbn):
    return asyncio.run(fetch_price(isbn))

async def quote(isbn):
    return price(isbn)  # flagged
'''),
    after=Example('''
import asyncio

async def fetch_price(isbn):
    return 10

def price(isbn):
    return asyncio.run(fetch_price(isbn))

async def quote(isbn):
    return await fetch_price(isbn)
''', "the async caller awaits the coroutine; the sync wrapper stays for sync callers"),
    valid=(
        Example('''
import asyncio

async def main():
    ...

if __name__ == "__main__":
    asyncio.run(main())
''', "the program's entry point starts the loop"),
    ),
    invalid=(
        Example('''
import asyncio

async def job():
    ...

async def main(loop):
    asyncio.run(job())  # flagged
    loop.run_until_complete(job())  # flagged
'''),
    ),
    find=find,
))
