"""Flask vs the FastAPI code ``flask-to-fastapi`` makes of it, both served for real.

``flask_apps/legacy_views.py`` is a small Flask app (blueprints with prefixes, converters,
typed query args, JSON and form bodies, tuple returns with headers, abort, redirect,
errorhandlers, a before_request token check, HEAD, trailing slash, datetime/Decimal JSON).
The recipe converts it; gunicorn serves the original and uvicorn the conversion, each on a
free loopback port, and every request must get the same status, headers that matter and
body bytes.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from asyncify.codemods import select, transform

SOURCE = Path(__file__).resolve().parent / "flask_apps" / "legacy_views.py"
COMPARED_HEADERS = ("content-type", "location", "www-authenticate", "x-created", "allow")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve(command: list[str], cwd: Path, port: int):
    log = cwd / f"{command[2]}.log"
    with log.open("wb") as sink:
        proc = subprocess.Popen(command, cwd=cwd, stdout=sink, stderr=sink)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            httpx.get(url + "/api/items/", timeout=1)
            return proc, url
        except httpx.TransportError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                proc.wait(timeout=10)
                raise RuntimeError(f"{command[2]} did not start: "
                                   f"{log.read_text()[-2000:]}") from None
            time.sleep(0.1)


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    outcome = transform("legacy_views.py", SOURCE.read_bytes(), select("flask-to-fastapi"))
    assert outcome.status == "changed", outcome.reason
    return outcome


@pytest.fixture(scope="module")
def servers(tmp_path_factory, converted):
    where = tmp_path_factory.mktemp("apps")
    (where / "legacy_views.py").write_bytes(SOURCE.read_bytes())
    (where / "migrated_views.py").write_bytes(converted.new)
    flask_port, fastapi_port = free_port(), free_port()
    procs = []
    try:
        procs.append(serve([sys.executable, "-m", "gunicorn", "-w", "1", "-b",
                            f"127.0.0.1:{flask_port}", "legacy_views:app"], where, flask_port))
        procs.append(serve([sys.executable, "-m", "uvicorn", "migrated_views:app", "--host",
                            "127.0.0.1", "--port", str(fastapi_port), "--log-level", "warning"],
                           where, fastapi_port))
        yield procs[0][1], procs[1][1]
    finally:
        for proc, _ in procs:
            proc.terminate()
            proc.wait(timeout=10)


TOKEN = {"X-Token": "s3cret"}
CASES = {
    "list, defaults": ("GET", "/api/items/", {}),
    "typed query arg": ("GET", "/api/items/?page=3&q=x", {}),
    "bad int falls back to the default": ("GET", "/api/items/?page=two", {}),
    "int converter": ("GET", "/api/items/7", {}),
    "abort with description, app 404 handler": ("GET", "/api/items/101", {}),
    "negative id is a 404 like Flask": ("GET", "/api/items/-5", {}),
    "static route not shadowed by the converter": ("GET", "/api/items/special", {}),
    "getlist, repeated": ("GET", "/api/items/tags?t=b&t=a&t=b", {}),
    "getlist, missing": ("GET", "/api/items/tags", {}),
    "non-numeric id is a 404": ("GET", "/api/items/abc", {}),
    "unknown route": ("GET", "/no/such/page", {}),
    "wrong method: HTTPException handler": ("DELETE", "/api/items/special", {}),
    "trailing slash redirect 308": ("GET", "/api/items?page=2", {}),
    "no redirect from /x/ to /x": ("GET", "/old/", {}),
    "HEAD on a GET route": ("HEAD", "/api/items/7", {}),
    "JSON body, tuple with headers, url_for": ("POST", "/api/items/", {"json": {"z": 1, "a": [1.5]}}),
    "malformed JSON is a 400": ("POST", "/api/items/", {"content": b"{", "headers": {"Content-Type": "application/json"}}),
    "non-JSON content type is a 415": ("POST", "/api/items/", {"content": b"x", "headers": {"Content-Type": "text/plain"}}),
    "form, redirect 302 with query": ("POST", "/api/items/form", {"data": {"name": "a b/é"}}),
    "form, missing field aborts": ("POST", "/api/items/form", {"data": {"other": "1"}}),
    "methods list, tuple status": ("POST", "/api/items/teapot", {}),
    "before_request answers 401": ("GET", "/admin/whoami", {}),
    "before_request passes, g": ("GET", "/admin/whoami", {"headers": TOKEN}),
    "redirect default 302": ("GET", "/old", {}),
}


@pytest.mark.parametrize("case", list(CASES))
def test_same_response(servers, case):
    method, path, extra = CASES[case]
    legacy_url, migrated_url = servers
    got = []
    for base in (legacy_url, migrated_url):
        response = httpx.request(method, base + path, timeout=10, **extra)
        headers = {h: response.headers.get(h) for h in COMPARED_HEADERS}
        location = headers["location"]
        if location:
            headers["location"] = location.replace(base, "")
        body = response.content.replace(base.encode(), b"")  # absolute redirect targets
        got.append((response.status_code, headers, body))
    assert got[1] == got[0]


def test_conversion_leaves_no_todo(converted):
    assert converted.todos == []
