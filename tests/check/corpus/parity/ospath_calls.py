# ruff: noqa
"""os.path calls in async def (flake8-async ASYNC240)."""

import os
import os.path
from os.path import exists, getsize


async def paths(path: str) -> None:
    os.path.exists(path)
    os.path.isfile(path)
    os.path.isdir(path)
    os.path.islink(path)
    os.path.lexists(path)
    os.path.ismount(path)
    os.path.realpath(path)
    os.path.getsize(path)
    os.path.getmtime(path)
    os.path.getatime(path)
    os.path.getctime(path)
    os.path.samefile(path, path)
    os.path.normpath(path)
    os.path.relpath(path)
    exists(path)
    getsize(path)
    os.path.join(path, "x")
