# ruff: noqa
"""Files opened and read directly in async def (flake8-async ASYNC230/231/232)."""

import io
import os
from io import TextIOWrapper


async def files(path: str, fd: int, handle: TextIOWrapper) -> None:
    open(path)
    io.open(path)
    io.open_code(path)
    os.fdopen(fd)
    handle.read()
    handle.write("x")
    out = open(path, "w")
    out.write("x")
