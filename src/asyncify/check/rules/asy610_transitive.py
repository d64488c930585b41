"""ASY610: blocking I/O reached from ``async def`` through sync helpers, in any module."""

from __future__ import annotations

from .._model import Example, Rule, register
from ._blocking import transitive

RULE = register(Rule(
    id="ASY610",
    name="blocking-call-through-helper",
    summary="async def calls a sync helper that (through any number of calls, across modules) "
    "makes a blocking call; reported with the call path.",
    flake8_async="",
    before=Example('''
# file: shop/repo.py
import psycopg2

def load_book(dsn, isbn):
    with psycopg2.connect(dsn) as conn:
        cur = conn.cursor()
        cur.execute("SELECT * FROM books WHERE isbn = %s", (isbn,))
        return cur.fetchone()

# file: shop/views.py
from shop.repo import load_book

async def book(dsn, isbn):
    return load_book(dsn, isbn)  # flagged
'''),
    after=Example('''
# file: shop/repo.py
import psycopg2

def load_book(dsn, isbn):
    with psycopg2.connect(dsn) as conn:
        cur = conn.cursor()
        cur.execute("SELECT * FROM books WHERE isbn = %s", (isbn,))
        return cur.fetchone()

# file: shop/views.py
import asyncio

from shop.repo import load_book

async def book(dsn, isbn):
    return await asyncio.to_thread(load_book, dsn, isbn)
''', "the helper runs in a worker thread: to_thread gets it as a value"),
    valid=(
        Example('''
def slugify(title):
    return title.lower().replace(" ", "-")

async def book(title):
    return slugify(title)
''', "a pure helper does no I/O"),
        Example('''
import requests

def fetch(url):
    return requests.get(url)

async def later(loop, url):
    return await loop.run_in_executor(None, lambda: fetch(url))
''', "a call inside a lambda does not run on the loop here"),
        Example('''
import requests

def fetch(url):
    return requests.get(url)  # asyncify: ignore[ASY610]

async def book(url):
    return fetch(url)
''', "suppressed at the blocking call: every path through it is accepted"),
    ),
    invalid=(
        Example('''
# file: app/http.py
import requests

def get_json(url):
    return requests.get(url).json()

# file: app/prices.py
from app.http import get_json

class Prices:
    def lookup(self, isbn):
        return get_json(f"https://prices.example/{isbn}")

# file: app/views.py
import time

from app.prices import Prices

def pause():
    time.sleep(1)

async def price(isbn):
    pause()  # flagged
    return Prices().lookup(isbn)  # flagged
''', "two modules away, through a method"),
    ),
    find=transitive,
))
