# ruff: noqa
"""input() and time.sleep() in async def (flake8-async ASYNC250/251)."""

import time
from time import sleep


async def pause() -> None:
    input("continue? ")
    time.sleep(1)
    sleep(1)
