"""ASY602: file I/O directly in ``async def``."""

from __future__ import annotations

from .._model import Example, Rule, register
from ._blocking import direct

RULE = register(Rule(
    id="ASY602",
    name="blocking-file-io-in-async",
    summary="Blocking file call (open, os.fdopen, file-object methods, pathlib, shutil) in async def.",
    flake8_async="ASYNC230, ASYNC231, ASYNC232",
    before=Example('''
async def load_excerpt(path):
    with open(path, encoding="utf-8") as handle:  # flagged
        return handle.read()  # flagged
'''),
    after=Example('''
import anyio

async def load_excerpt(path):
    return await anyio.Path(path).read_text(encoding="utf-8")
''', "anyio.Path reads in a worker thread and is awaited"),
    valid=(
        Example('''
import asyncio
from pathlib import Path

async def load_excerpt(path):
    return await asyncio.to_thread(Path(path).read_text)
''', "passed to to_thread as a value, not called on the loop"),
    ),
    invalid=(
        Example('''
import io
import os
import shutil

async def save(fd, data, path):
    out = os.fdopen(fd, "w")  # flagged
    io.open(path)  # flagged
    shutil.copy(path, path + ".bak")  # flagged
    os.remove(path)  # flagged
'''),
    ),
    find=direct("ASY602"),
))
