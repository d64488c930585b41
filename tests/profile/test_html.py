"""The HTML report in a real headless Chromium (Debian's, installed by .ci/run): it renders
with no console error and no network request, sorting works, and a screenshot is saved.

Driven over the DevTools protocol with a small client on ``websockets``. Fails, never skips,
when Chromium is missing.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from websockets.sync.client import connect

from asyncify import api
from asyncify.planner import render_html

ROOT = Path(__file__).resolve().parents[2]
BOOKSHOP = ROOT / "sample_projects" / "bookshop"
CHROMIUM = "/usr/bin/chromium"

PROFILE = "\n".join([
    '{"schema":"asyncify.profile/1","kind":"process","pid":1,"host":"h","started":1.0}',
    *[json.dumps({"ts": 100.0 + i, "method": "GET", "route": "/api/books/<int:book_id>",
                  "endpoint": "books.book_detail", "status": 200, "wall_s": 0.03,
                  "cpu_s": 0.002, "db_s": 0.025, "db_calls": 1, "db_writes": 0, "http_s": 0.0,
                  "http_calls": 0, "sample_rate": 0.5, "pid": 1}) for i in range(40)],
    *[json.dumps({"ts": 120.0, "method": "GET", "route": "/api/tools/price-simulation",
                  "status": 200, "wall_s": 0.2, "cpu_s": 0.19, "db_s": 0, "db_calls": 0,
                  "db_writes": 0, "http_s": 0, "http_calls": 0}) for _ in range(5)],
]) + "\n"


class Page:
    """One Chromium tab over the DevTools protocol: commands, and the events seen so far."""

    def __init__(self, ws: Any) -> None:
        self._ws = ws
        self._next = 0
        self.events: list[dict[str, Any]] = []

    def send(self, method: str, **params: Any) -> dict[str, Any]:
        self._next += 1
        ident = self._next
        self._ws.send(json.dumps({"id": ident, "method": method, "params": params}))
        while True:
            message = json.loads(self._ws.recv(timeout=20))
            if message.get("id") == ident:
                assert "error" not in message, message
                result: dict[str, Any] = message["result"]
                return result
            self.events.append(message)

    def wait_for(self, method: str, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while not any(e.get("method") == method for e in self.events):
            assert time.monotonic() < deadline, f"no {method} within {timeout} s"
            self.events.append(json.loads(self._ws.recv(timeout=timeout)))

    def evaluate(self, expression: str) -> Any:
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        assert "exceptionDetails" not in result, result
        return result["result"].get("value")


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Page]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium "
                    "(apt-get install -y chromium)", pytrace=False)
    profile = tmp_path / "chromium-profile"
    proc = subprocess.Popen(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", f"--user-data-dir={profile}", "--remote-debugging-port=0",
         "--window-size=1400,1000", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not (port_file.exists() and len(port_file.read_text().split()) >= 2):
            assert proc.poll() is None, f"chromium exited with {proc.returncode}"
            assert time.monotonic() < deadline, "chromium did not open its DevTools port"
            time.sleep(0.05)
        port = port_file.read_text().split()[0]
        targets = _json(f"http://127.0.0.1:{port}/json/list")
        page_target = next(t for t in targets if t["type"] == "page")
        with connect(page_target["webSocketDebuggerUrl"], max_size=None,
                     open_timeout=10) as ws:
            yield Page(ws)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def _json(url: str) -> Any:
    import urllib.request

    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


def _open(page: Page, path: Path) -> None:
    for domain in ("Page", "Runtime", "Log", "Network"):
        page.send(f"{domain}.enable")
    page.send("Page.navigate", url=path.as_uri())
    page.wait_for("Page.loadEventFired")


def _problems(page: Page) -> list[Any]:
    errors: list[Any] = []
    for event in page.events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.exceptionThrown":
            errors.append(params["exceptionDetails"])
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            errors.append(params)
        elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
            errors.append(params["entry"])
        elif method == "Network.requestWillBeSent":
            url = params["request"]["url"]
            if not url.startswith(("file:", "data:", "about:")):
                errors.append(f"network request to {url}")
    return errors


def _click(page: Page, selector: str) -> None:
    box = page.evaluate(f"(function(){{var r=document.querySelector({json.dumps(selector)})"
                        ".getBoundingClientRect();return [r.x+r.width/2,r.y+r.height/2];})()")
    for kind in ("mousePressed", "mouseReleased"):
        page.send("Input.dispatchMouseEvent", type=kind, x=box[0], y=box[1], button="left",
                  clickCount=1)


def _column(page: Page, index: int) -> list[str]:
    return list(page.evaluate(
        "Array.prototype.map.call(document.querySelectorAll('#plan tbody tr'),"
        f"function(r){{return r.cells[{index}].getAttribute('data-v')"
        f"||r.cells[{index}].textContent;}})"))


def _header(page: Page, name: str) -> int:
    heads = page.evaluate("Array.prototype.map.call(document.querySelectorAll('#plan th'),"
                          "function(h){return h.textContent;})")
    return int(heads.index(name))


def test_report_renders_sorts_and_filters(browser: Page, tmp_path: Path):
    profile = tmp_path / "profile.jsonl"
    profile.write_text(PROFILE, encoding="utf-8")
    report = tmp_path / "plan.html"
    report.write_text(render_html(api.plan(BOOKSHOP, profiles=[profile])), encoding="utf-8")
    _open(browser, report)
    assert _problems(browser) == []
    assert browser.evaluate("document.querySelectorAll('#plan tbody tr').length") == 18
    assert browser.evaluate("document.querySelectorAll('#chart circle').length") >= 2

    score = _header(browser, "score")
    _click(browser, f"#plan th:nth-child({score + 1})")
    values = [float(v) for v in _column(browser, score)]
    assert values == sorted(values)
    _click(browser, f"#plan th:nth-child({score + 1})")
    values = [float(v) for v in _column(browser, score)]
    assert values == sorted(values, reverse=True)
    path = _header(browser, "path")
    _click(browser, f"#plan th:nth-child({path + 1})")
    paths = _column(browser, path)
    assert paths == sorted(paths, key=str.lower)

    browser.evaluate("var f=document.getElementById('filter');f.value='price';"
                     "f.dispatchEvent(new Event('input'));")
    shown = browser.evaluate("Array.prototype.filter.call(document.querySelectorAll("
                             "'#plan tbody tr'),function(r){return r.style.display!=='none';})"
                             ".length")
    assert 1 <= shown < 18
    browser.evaluate("var f=document.getElementById('filter');f.value='';"
                     "f.dispatchEvent(new Event('input'));")

    shot = browser.send("Page.captureScreenshot", format="png", captureBeyondViewport=False)
    png = base64.b64decode(shot["data"])
    assert png.startswith(b"\x89PNG")
    (tmp_path / "plan.png").write_bytes(png)
    assert _problems(browser) == []


def test_report_without_a_profile_renders_too(browser: Page, tmp_path: Path):
    report = tmp_path / "plan.html"
    report.write_text(render_html(api.plan(BOOKSHOP)), encoding="utf-8")
    _open(browser, report)
    assert _problems(browser) == []
    assert "benefit vs effort" in browser.evaluate("document.getElementById('chart')"
                                                   ".getAttribute('aria-label')")
    assert shutil.which(CHROMIUM) is not None
