"""A session-based client class (ASY204/ASY205): the legacy module runs with requests, the copy
rewritten by ``apply --recipe requests-to-httpx --propagate --write`` runs under asyncio with
httpx, both against a real server on loopback, and every method returns the same thing."""

from __future__ import annotations

import asyncio
import importlib
import sys
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from asyncify.cli import app

HERE = Path(__file__).resolve().parent
runner = CliRunner()

CLIENT = """
    import json

    import requests
    from requests.adapters import HTTPAdapter


    class FeedClient:
        def __init__(self, base, key, retries: int):
            self.base = base
            self.session = requests.Session()
            self.session.mount("http://", HTTPAdapter(max_retries=retries))
            self.session.mount("https://", HTTPAdapter(max_retries=retries))
            self.session.params = {"key": key, "skip": None}
            self.session.headers.update({"X-Client": "feeds"})

        def query(self):
            r = self.session.get(self.base + "/echo", params={"page": 2, "draft": False},
                                 timeout=(2, 5))
            r.raise_for_status()
            return r.json()["query"]

        def post(self):
            body = self.session.post(self.base + "/echo", json={"a": "é", "n": 1}, timeout=5).json()
            return body["body"], body["content_type"]

        def follow(self):
            r = self.session.get(self.base + "/redirect", timeout=5)
            return r.status_code, r.text, r.ok

        def peek(self):
            r = self.session.head(self.base + "/redirect", timeout=5)
            return r.status_code, r.ok

        def status(self, code):
            try:
                self.session.get(self.base + "/status/" + str(code), timeout=5).raise_for_status()
            except requests.ConnectionError:
                return "connection error"
            except requests.HTTPError:
                return "http error"
            return "fine"

        def unbounded(self):
            return self.session.get(self.base + "/slow").text

        def too_slow(self):
            # Not requests.Timeout: with max_retries=N, requests retries the read and then
            # raises ConnectionError; httpx does not retry reads and raises ReadTimeout
            # (the ASY205 TODO on the retries says so).
            try:
                self.session.get(self.base + "/slow", timeout=(1, 0.1))
            except requests.RequestException:
                return "failed"
            return "in time"

        def refused(self):
            try:
                self.session.get("http://127.0.0.1:9/", timeout=2)
            except requests.ConnectionError:
                return "connection error"

        def records(self):
            r = self.session.get(self.base + "/ndjson", stream=True, timeout=5)
            r.raise_for_status()
            out = []
            for line in r.iter_lines():
                if line:
                    out.append(json.loads(line.decode("utf-8")))
            return out

        def byte_count(self):
            r = self.session.get(self.base + "/ndjson", stream=True, timeout=5)
            sizes = set()
            total = 0
            for chunk in r.iter_content():
                sizes.add(len(chunk))
                total += len(chunk)
            return sizes, total
"""
METHODS = [("query", ()), ("post", ()), ("follow", ()), ("peek", ()), ("status", (404,)),
           ("status", (503,)), ("status", (200,)), ("unbounded", ()), ("too_slow", ()),
           ("refused", ()), ("records", ()), ("byte_count", ())]




@pytest.fixture(scope="module")
def projects(tmp_path_factory):
    """The legacy package and its rewritten copy (packages ``feeds_legacy``/``feeds``)."""
    root = tmp_path_factory.mktemp("sessions")
    source = textwrap.dedent(CLIENT).lstrip("\n")
    for package in ("feeds", "feeds_legacy"):
        (root / package).mkdir()
        (root / package / "__init__.py").write_text("")
        (root / package / "client.py").write_text(source)
    result = runner.invoke(app, ["apply", "--recipe", "requests-to-httpx", "--propagate",
                                 "--root", str(root), str(root / "feeds"), "--write"])
    sys.path.insert(0, str(root))
    try:
        yield root, result
    finally:
        sys.path.remove(str(root))
        for name in [m for m in sys.modules if m.split(".")[0] in ("feeds", "feeds_legacy")]:
            del sys.modules[name]


def test_the_session_becomes_an_async_client(projects):
    root, result = projects
    assert result.exit_code == 0, result.output
    text = (root / "feeds" / "client.py").read_text()
    assert "self.session = httpx.AsyncClient(transport=httpx.AsyncHTTPTransport(retries=retries))" in text
    assert "self.session.mount(" not in text
    assert "self.session.params = requests_params(" in text
    assert "async def query(self):" in text
    assert 'async with self.session.stream("GET", self.base + "/ndjson"' in text
    assert "async for line in r.aiter_lines():" in text
    assert "json.loads(line)" in text
    assert "async for chunk in r.aiter_bytes(1):" in text
    assert "follow_redirects=False" in text  # head
    assert "to_thread" not in text
    again = runner.invoke(app, ["apply", "--recipe", "requests-to-httpx", "--propagate",
                                "--root", str(root), str(root / "feeds")])
    assert again.exit_code == 0 and again.stdout == "", again.output


def test_every_method_returns_what_requests_returned(projects, base_url):
    legacy_module = importlib.import_module("feeds_legacy.client")
    migrated_module = importlib.import_module("feeds.client")
    legacy_client = legacy_module.FeedClient(base_url, "k", 2)
    try:
        legacy = [getattr(legacy_client, name)(*args) for name, args in METHODS]
    finally:
        legacy_client.session.close()

    async def main():
        client = migrated_module.FeedClient(base_url, "k", 2)
        try:
            return [await getattr(client, name)(*args) for name, args in METHODS]
        finally:
            await client.session.aclose()

    migrated = asyncio.run(main())
    for (name, args), old, new in zip(METHODS, legacy, migrated, strict=True):
        assert new == old, f"{name}{args}"
