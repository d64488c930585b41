"""ASY604: ``input()`` in ``async def``."""

from __future__ import annotations

from .._model import Example, Rule, register
from ._blocking import direct

RULE = register(Rule(
    id="ASY604",
    name="input-in-async",
    summary="input() in async def waits for the terminal with the loop stopped.",
    flake8_async="ASYNC250",
    before=Example('''
async def confirm():
    return input("really? ") == "y"  # flagged
'''),
    after=Example('''
import asyncio

async def confirm():
    return await asyncio.to_thread(input, "really? ") == "y"
''', "input runs in a worker thread"),
    valid=(
        Example('''
def confirm():
    return input("really? ") == "y"
''', "sync code may read the terminal"),
    ),
    find=direct("ASY604"),
))
