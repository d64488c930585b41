# ruff: noqa
"""Blocking calls reached through sync helpers: flake8-async sees none of them."""

from helpers import backoff, build, get_json, load


def enrich(url: str) -> object:
    return get_json(url)


async def endpoint(url: str, dsn: str) -> None:
    enrich(url)  # flake8-async misses
    load(dsn)  # flake8-async misses
    backoff()  # flake8-async misses
    build()  # flake8-async misses
