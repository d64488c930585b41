"""ASY605: ``time.sleep()`` in ``async def``."""

from __future__ import annotations

from .._model import Example, Rule, register
from ._blocking import direct

RULE = register(Rule(
    id="ASY605",
    name="sleep-in-async",
    summary="time.sleep() in async def stops every task, not just this one.",
    flake8_async="ASYNC251",
    before=Example('''
import time

async def backoff(attempt):
    time.sleep(2 ** attempt)  # flagged
'''),
    after=Example('''
import asyncio

async def backoff(attempt):
    await asyncio.sleep(2 ** attempt)
''', "asyncio.sleep yields to the loop"),
    valid=(
        Example('''
from time import sleep

def backoff(attempt):
    sleep(2 ** attempt)
''', "sync code may sleep"),
    ),
    invalid=(
        Example('''
from time import sleep as pause

async def backoff(attempt):
    pause(attempt)  # flagged
''', "found through an aliased import"),
    ),
    find=direct("ASY605"),
))
