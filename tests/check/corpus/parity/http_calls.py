# ruff: noqa
"""HTTP clients called directly in async def (flake8-async ASYNC210/211/212)."""

import urllib.request
from urllib.request import urlopen

import httpx
import requests
import urllib3


async def fetch(url: str, http) -> None:
    requests.get(url)
    requests.post(url, json={})
    requests.request("PUT", url)
    httpx.get(url)
    urllib3.request("GET", url)
    urllib.request.urlopen(url)
    urlopen(url)
    http.request("GET", url)


async def with_clients(url: str) -> None:
    client = httpx.Client()
    client.get(url)
    client.close()
    pool = urllib3.PoolManager()
    pool.request("GET", url)


async def fine(url: str) -> None:
    async with httpx.AsyncClient() as client:
        await client.get(url)
