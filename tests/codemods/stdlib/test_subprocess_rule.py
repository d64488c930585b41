"""ASY502 fixtures: subprocess calls in async code become asyncio subprocesses with
``subprocess``'s semantics (``compat.async_*``) when every argument has an asyncio form, else a
worker thread with a note. No-op cases first (with the reason), then rewrites; every output
parses, a second run changes nothing, and the rewritten code runs and returns what the original
returned."""

from __future__ import annotations

import ast
import asyncio
import subprocess
import sys
import textwrap
from typing import Any

import pytest

from asyncify.codemods import transform

LINK = "https://asyncify.readthedocs.io/en/latest/rules/#asy502"

NOOP = [
    pytest.param("""
        import subprocess

        def version():
            return subprocess.run(["true"], check=True)
    """, id="sync-code"),
    pytest.param("""
        import asyncio

        async def version():
            proc = await asyncio.create_subprocess_exec("true")
            return await proc.wait()
    """, id="already-asyncio"),
    pytest.param("""
        from mytools import run

        async def go():
            return run(["true"])
    """, id="another-run"),
]
NOOP_WHY = {
    "sync-code": "sync code may block; propagation decides what turns async",
    "already-asyncio": "nothing blocking",
    "another-run": "a function named run that is not subprocess.run",
}

TRANSFORMED = [
    pytest.param("""
        import subprocess
        import sys

        async def version():
            done = subprocess.run([sys.executable, "--version"], capture_output=True, text=True,
                                  check=True, timeout=10)
            return done.stdout
    """, """
        import subprocess
        import sys
        from asyncify.compat import async_run

        async def version():
            done = await async_run([sys.executable, "--version"], capture_output=True, text=True,
                                  check=True, timeout=10)
            return done.stdout
    """, id="run"),
    pytest.param("""
        from subprocess import check_output, call, check_call

        async def go(cmd):
            check_call(cmd)
            return check_output(cmd, input="x", text=True).strip(), call(cmd, shell=False)
    """, """
        from subprocess import check_output, call, check_call
        from asyncify.compat import async_call, async_check_call, async_check_output

        async def go(cmd):
            await async_check_call(cmd)
            return (await async_check_output(cmd, input="x", text=True)).strip(), await async_call(cmd, shell=False)
    """, id="from-imports"),
    pytest.param("""
        import subprocess

        async def go(cmd, options):
            return subprocess.run(cmd, **options)
    """, f"""
        import subprocess
        import asyncio

        async def go(cmd, options):
            # TODO[asyncify ASY502]: runs in a worker thread: an unpacked argument (*args/**kwargs) has no asyncio subprocess equivalent — {LINK}
            return await asyncio.to_thread(subprocess.run, cmd, **options)
    """, id="unpacked"),
    pytest.param("""
        import os

        async def go():
            return os.system("true")
    """, """
        import os
        import asyncio

        async def go():
            return await asyncio.to_thread(os.system, "true")
    """, id="os-system"),
]


def _run(source: str) -> Any:
    return transform("example.py", source.encode(), ["ASY502"])


@pytest.mark.parametrize("source", NOOP)
def test_noop(source: str, request: pytest.FixtureRequest) -> None:
    text = textwrap.dedent(source)
    outcome = _run(text)
    assert outcome.status == "unchanged", NOOP_WHY[request.node.callspec.id]


@pytest.mark.parametrize(("source", "expected"), TRANSFORMED)
def test_transformed(source: str, expected: str) -> None:
    outcome = _run(textwrap.dedent(source))
    assert outcome.status == "changed", outcome.reason
    new = outcome.new.decode()
    assert new == textwrap.dedent(expected)
    ast.parse(new)
    assert _run(new).status == "unchanged"


def _call(source: str, name: str, *args: Any) -> Any:
    namespace: dict[str, Any] = {}
    exec(compile(textwrap.dedent(source), "<fixture>", "exec"), namespace)
    result = namespace[name](*args)
    return asyncio.run(result) if asyncio.iscoroutine(result) else result


def test_the_rewrite_returns_what_the_original_returned() -> None:
    source = textwrap.dedent(TRANSFORMED[0].values[0]).replace("async def", "def")
    new = _run(textwrap.dedent(TRANSFORMED[0].values[0])).new.decode()
    assert _call(new, "version") == _call(source, "version")
    cmd = [sys.executable, "-c", "import sys; print(sys.stdin.read() or 'none')"]
    original = textwrap.dedent(TRANSFORMED[1].values[0])
    rewritten = _run(original).new.decode()
    sync = original.replace("async def", "def")
    assert _call(rewritten, "go", cmd) == _call(sync, "go", cmd)
    with pytest.raises(subprocess.CalledProcessError) as failed:
        _call(rewritten, "go", [sys.executable, "-c", "raise SystemExit(3)"])
    assert failed.value.returncode == 3
