"""requests vs the rewritten httpx code, against a real HTTP server on loopback.

Each snippet is an ``async def`` that uses requests. The legacy run executes it as a plain
``def`` with requests; the migrated run executes what ``requests-to-httpx`` made of it, under
asyncio. Both must return the same thing.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from asyncify.codemods import select, transform

HERE = Path(__file__).resolve().parent




def run_legacy(source: str, base: str):
    namespace: dict[str, object] = {}
    exec(compile(source.replace("async def", "def"), "legacy", "exec"), namespace)
    return namespace["case"](base)


def run_migrated(source: str, base: str):
    outcome = transform("snippet.py", source.encode(), select("requests-to-httpx"))
    assert outcome.status == "changed", outcome.reason
    assert outcome.todos == [] or all(t.rule == "ASY201" for t in outcome.todos)
    namespace: dict[str, object] = {}
    exec(compile(outcome.new, "migrated", "exec"), namespace)

    async def main():
        from asyncify.compat import http_client

        try:
            return await namespace["case"](base)
        finally:
            await http_client().aclose()

    return asyncio.run(main())


CASES = {
    "redirect followed": """
import requests
async def case(base):
    r = requests.get(base + "/redirect", timeout=5)
    return r.status_code, r.text
""",
    "head does not follow": """
import requests
async def case(base):
    r = requests.head(base + "/redirect", timeout=5)
    return r.status_code, r.headers["location"]
""",
    "post redirect becomes get": """
import requests
async def case(base):
    return requests.post(base + "/redirect", data={"a": "1"}, timeout=5).text
""",
    "params none and bool": """
import requests
async def case(base):
    return requests.get(base + "/echo", params={"a": None, "b": True, "c": "x y"}, timeout=5).json()["query"]
""",
    "params from a variable": """
import requests
async def case(base):
    params = {"page": 2, "draft": False, "tag": ["a", "b"], "skip": None}
    return requests.get(base + "/echo", params=params, timeout=5).json()["query"]
""",
    "form data none and bool": """
import requests
async def case(base):
    form = {"a": None, "b": True, "c": "é"}
    r = requests.post(base + "/echo", data=form, timeout=5).json()
    return r["body"], r["content_type"]
""",
    "no timeout given": """
import requests
async def case(base):
    return requests.get(base + "/slow?seconds=0.2").text
""",
    "raise_for_status on 404": """
import requests
async def case(base):
    try:
        requests.get(base + "/status/404", timeout=5).raise_for_status()
    except requests.HTTPError:
        return "http error"
    return "no error"
""",
    "5xx is an HTTPError, not a ConnectionError": """
import requests
async def case(base):
    try:
        requests.get(base + "/status/503", timeout=5).raise_for_status()
    except requests.ConnectionError:
        return "connection error"
    except requests.RequestException:
        return "request exception"
""",
    "connection refused": """
import requests
async def case(base):
    try:
        requests.get("http://127.0.0.1:9", timeout=2)
    except requests.exceptions.ConnectionError:
        return "connection error"
""",
    "read timeout": """
import requests
async def case(base):
    try:
        requests.get(base + "/slow?seconds=1", timeout=0.2)
    except requests.Timeout:
        return "timeout"
""",
    "timeout tuple": """
import requests
async def case(base):
    try:
        requests.get(base + "/slow?seconds=1", timeout=(1, 0.2))
    except requests.ReadTimeout:
        return "read timeout"
""",
    "generic request()": """
import requests
async def case(base):
    return requests.request("PUT", base + "/echo", json={"k": 1}, timeout=5).json()["method"]
""",
    "a header set to None is not sent": """
import os
import requests
async def case(base):
    token = os.environ.get("ASYNCIFY_TEST_UNSET_TOKEN")
    headers = {"X-Token": token, "X-Kept": "1"}
    return requests.get(base + "/echo", headers=headers, timeout=5).json()["x_headers"]
""",
    "ok on 4xx and 3xx": """
import requests
async def case(base):
    bad = requests.get(base + "/status/404", timeout=5)
    moved = requests.get(base + "/redirect", allow_redirects=False, timeout=5)
    return bad.status_code, moved.status_code
""",
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_result(base_url, name):
    source = CASES[name]
    assert run_migrated(source, base_url) == run_legacy(source, base_url)


def test_stream_is_left_blocking_with_a_todo():
    source = "import requests\nasync def case(base):\n    return requests.get(base, stream=True, timeout=1)\n"
    outcome = transform("s.py", source.encode(), select("requests-to-httpx"))
    assert [t.rule for t in outcome.todos] == ["ASY201"]
    assert b"requests.get(base, stream=True" in outcome.new
