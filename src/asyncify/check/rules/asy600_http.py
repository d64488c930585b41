"""ASY600: a blocking HTTP call written directly in ``async def``."""

from __future__ import annotations

from .._model import Example, Rule, register
from ._blocking import direct

RULE = register(Rule(
    id="ASY600",
    name="blocking-http-in-async",
    summary="Blocking HTTP call (requests, urllib, urllib3, sync httpx) directly in async def.",
    flake8_async="ASYNC210, ASYNC211, ASYNC212",
    before=Example('''
import requests

async def price(isbn):
    response = requests.get(f"https://prices.example/{isbn}")  # flagged
    return response.json()
'''),
    after=Example('''
import httpx

async def price(isbn):
    async with httpx.AsyncClient() as client:
        response = await client.get(f"https://prices.example/{isbn}")
    return response.json()
''', "httpx.AsyncClient calls are awaited: nothing blocks"),
    valid=(
        Example('''
import requests

def price(isbn):
    return requests.get(f"https://prices.example/{isbn}").json()
''', "a sync function may block: only async code is checked here"),
        Example('''
import asyncio
import requests

async def price(isbn):
    return await asyncio.to_thread(requests.get, f"https://prices.example/{isbn}")
''', "handed to a worker thread, not called on the loop"),
        Example('''
import asyncio
import requests

async def price(loop, isbn):
    return await loop.run_in_executor(None, lambda: requests.get(isbn))
''', "a lambda runs later, in the executor"),
    ),
    invalid=(
        Example('''
import httpx
import urllib.request
import urllib3

async def fetch(url):
    with httpx.Client() as client:
        client.get(url)  # flagged
    pool = urllib3.PoolManager()
    pool.request("GET", url)  # flagged
    urllib.request.urlopen(url)  # flagged
    httpx.post(url)  # flagged
'''),
        Example('''
import urllib3

async def fetch(http, url):
    return http.request("GET", url)  # flagged
''', "an unknown receiver named like a pool, in a module that imports urllib3 (ASYNC211)"),
    ),
    find=direct("ASY600"),
))
