"""ASY603: ``os.path`` functions that touch the file system, directly in ``async def``."""

from __future__ import annotations

from .._model import Example, Rule, register
from ._blocking import direct

RULE = register(Rule(
    id="ASY603",
    name="os-path-in-async",
    summary="os.path call (exists, isfile, getsize, realpath, ...) in async def.",
    flake8_async="ASYNC240",
    before=Example('''
import os.path

async def has_cover(path):
    return os.path.exists(path)  # flagged
'''),
    after=Example('''
import anyio

async def has_cover(path):
    return await anyio.Path(path).exists()
''', "anyio.Path does the stat in a worker thread"),
    valid=(
        Example('''
import os.path

async def cover_name(isbn):
    return os.path.join("covers", f"{isbn}.png")
''', "os.path.join is string work; the catalog does not list it"),
    ),
    invalid=(
        Example('''
import os
from os.path import getsize, isdir

async def size(path):
    if isdir(path):  # flagged
        return 0
    os.path.normpath(path)  # flagged
    return getsize(path)  # flagged
'''),
    ),
    find=direct("ASY603"),
))
