"""Functions that sync code calls without awaiting stay sync under ``--propagate``, with a
marker saying why (found by the real-world trial, docs/real-world.md):

- a decorator factory whose wrapper does I/O: the factory only *defines* the wrapper, and
  the wrapper is handed out and called synchronously by whatever it decorates;
- methods of a flask-restx / Flask-RESTful ``Resource``: ``dispatch_request`` calls them
  without awaiting, so an ``async def get`` would answer with a coroutine (500)."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

from asyncify.api import apply_recipe

DECORATOR = """
    import functools

    import requests


    def audited(f):
        @functools.wraps(f)
        def wrapper(*args, **kwargs):
            requests.post("http://audit/log", json={"fn": f.__name__}, timeout=2)
            return f(*args, **kwargs)
        return wrapper


    @audited
    def handler(x):
        return x * 2
"""

RESOURCE = """
    import requests
    from {module} import Resource


    class Rates(Resource):
        def get(self, currency):
            return requests.get("http://fx/" + currency, timeout=2).json()


    def refresh(currency):
        return requests.get("http://fx/" + currency, timeout=2).json()
"""


def _run(tmp_path: Path, source: str) -> tuple[str, str]:
    root = tmp_path / "proj"
    root.mkdir(exist_ok=True)
    target = root / "example.py"
    target.write_text(textwrap.dedent(source).lstrip("\n"))
    run = apply_recipe([target], "requests-to-httpx", root=root, write=True, allow_dirty=True,
                       propagate=True)
    assert all(o.status in ("changed", "unchanged") for o in run.outcomes), run.outcomes
    return run.outcomes[0].status, target.read_text()


def test_decorator_factory_and_its_wrapper_stay_sync(tmp_path: Path) -> None:
    status, text = _run(tmp_path, DECORATOR)
    assert status == "changed"
    tree = ast.parse(text)
    assert not any(isinstance(n, ast.AsyncFunctionDef | ast.Await) for n in ast.walk(tree)), text
    marker = next(line for line in text.splitlines() if "TODO[asyncify ASY901]" in line)
    assert "handed out by audited" in marker
    assert _run(tmp_path, text) == ("unchanged", text)


@pytest.mark.parametrize("module", ["flask_restful", "flask_restx"])
def test_resource_methods_stay_sync_plain_functions_do_not(tmp_path: Path, module: str) -> None:
    status, text = _run(tmp_path, RESOURCE.format(module=module))
    assert status == "changed"
    assert "    def get(self, currency):" in text, text
    assert f"{module}.Resource calls its methods without awaiting them" in text
    assert "async def refresh(currency):" in text  # the same I/O outside a Resource converts
    ast.parse(text)
    assert _run(tmp_path, text) == ("unchanged", text)


CLICK = """
    import click
    import requests


    @click.command("refresh")
    def refresh():
        click.echo(requests.get("http://fx/rates", timeout=2).text)
"""


def test_a_click_command_stays_sync(tmp_path: Path) -> None:
    status, text = _run(tmp_path, CLICK)
    assert status == "changed"
    tree = ast.parse(text)
    assert not any(isinstance(n, ast.AsyncFunctionDef) for n in ast.walk(tree)), text
    assert "@click.command calls it without awaiting it" in text
    assert _run(tmp_path, text) == ("unchanged", text)


UNITTEST = """
    import time
    import unittest


    class SlowTest(unittest.TestCase):
        def test_waits(self):
            time.sleep(0.01)
            self.assertTrue(True)
"""


def test_unittest_methods_stay_sync(tmp_path: Path) -> None:
    """unittest calls test methods without awaiting: an ``async def test_…`` on a plain
    ``TestCase`` would "pass" without running (found on a real app's suite)."""
    root = tmp_path / "proj"
    root.mkdir()
    target = root / "test_slow.py"
    target.write_text(textwrap.dedent(UNITTEST).lstrip("\n"))
    run = apply_recipe([target], "stdlib-blocking", root=root, write=True, allow_dirty=True,
                       propagate=True)
    text = target.read_text()
    assert run.outcomes[0].status == "changed"
    assert "    def test_waits(self):" in text and "time.sleep(0.01)" in text, text
    assert "unittest.TestCase calls its methods without awaiting them" in text
    ast.parse(text)
