# ruff: noqa
"""Sync helpers in another module: blocking only where they are called from async code."""

import subprocess
import time

import psycopg2
import requests


def get_json(url: str) -> object:
    return requests.get(url).json()


def load(dsn: str) -> None:
    with psycopg2.connect(dsn) as conn:
        conn.cursor().execute("SELECT 1")


def backoff() -> None:
    time.sleep(1)


def build() -> None:
    subprocess.run(["make"], check=True)
