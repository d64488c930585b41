"""ASY601: starting or waiting for a process directly in ``async def``."""

from __future__ import annotations

from .._model import Example, Rule, register
from ._blocking import direct

RULE = register(Rule(
    id="ASY601",
    name="blocking-subprocess-in-async",
    summary="Blocking subprocess call (subprocess.*, os.system, os.spawn*, os.wait*) in async def.",
    flake8_async="ASYNC220, ASYNC221, ASYNC222",
    before=Example('''
import subprocess

async def thumbnail(path):
    subprocess.run(["convert", path, "thumb.png"], check=True)  # flagged
'''),
    after=Example('''
import asyncio

async def thumbnail(path):
    proc = await asyncio.create_subprocess_exec("convert", path, "thumb.png")
    await proc.wait()
''', "asyncio's subprocess API is awaited"),
    valid=(
        Example('''
import subprocess

def thumbnail(path):
    subprocess.run(["convert", path, "thumb.png"], check=True)
''', "sync code may wait for a process"),
    ),
    invalid=(
        Example('''
import os
import subprocess

async def jobs(cmd):
    subprocess.Popen(cmd)  # flagged
    subprocess.check_output(cmd)  # flagged
    os.system("true")  # flagged
    os.popen("ls")  # flagged
    os.spawnl(os.P_NOWAIT, "/bin/true", "true")  # flagged
    os.waitpid(0, 0)  # flagged
'''),
    ),
    find=direct("ASY601"),
))
