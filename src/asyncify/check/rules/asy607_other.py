"""ASY607: any other catalog operation (cache, socket, smtp, cloud, CPU) in ``async def``."""

from __future__ import annotations

from .._model import Example, Rule, register
from ._blocking import OTHER, direct

RULE = register(Rule(
    id=OTHER,
    name="blocking-call-in-async",
    summary="Any other catalog operation (Redis, sockets, SMTP, boto3, CPU-bound hashing) "
    "in async def.",
    flake8_async="",
    before=Example('''
import redis

cache = redis.Redis()

async def cached_title(isbn):
    return cache.get(f"title:{isbn}")  # flagged
'''),
    after=Example('''
import redis.asyncio

cache = redis.asyncio.Redis()

async def cached_title(isbn):
    return await cache.get(f"title:{isbn}")
''', "redis.asyncio commands are awaited"),
    valid=(
        Example('''
import hashlib

def digest(password, salt):
    return hashlib.pbkdf2_hmac("sha256", password, salt, 600_000)
''', "CPU work in sync code is fine"),
    ),
    invalid=(
        Example('''
import hashlib
import smtplib
import socket

async def notify(password, salt):
    hashlib.pbkdf2_hmac("sha256", password, salt, 600_000)  # flagged
    socket.create_connection(("mail", 25))  # flagged
    smtplib.SMTP("mail")  # flagged
'''),
    ),
    find=direct(OTHER),
))
