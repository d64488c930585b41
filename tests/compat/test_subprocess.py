"""``compat.async_run`` & co. against ``subprocess`` itself: the same real commands run both
ways, and the results (or the exceptions, field by field) must be equal."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from typing import Any

import pytest

from asyncify.compat import async_call, async_check_call, async_check_output, async_run

PY = sys.executable
SYNC = {"run": subprocess.run, "check_output": subprocess.check_output,
        "call": subprocess.call, "check_call": subprocess.check_call}
ASYNC = {"run": async_run, "check_output": async_check_output, "call": async_call,
         "check_call": async_check_call}


def outcome(value: Any) -> Any:
    if isinstance(value, subprocess.CompletedProcess):
        return ("completed", value.args, value.returncode, value.stdout, value.stderr)
    return ("value", value)


def failure(exc: BaseException) -> Any:
    if isinstance(exc, subprocess.CalledProcessError):
        return (type(exc), exc.returncode, exc.cmd, exc.output, exc.stderr)
    if isinstance(exc, subprocess.TimeoutExpired):
        return (type(exc), exc.cmd, exc.timeout, exc.output, exc.stderr)
    return (type(exc), str(exc))


def both(kind: str, args: Any, **kwargs: Any) -> tuple[Any, Any]:
    try:
        expected = outcome(SYNC[kind](args, **kwargs))
    except Exception as exc:  # compared below, class and fields
        expected = failure(exc)
    try:
        got = outcome(asyncio.run(ASYNC[kind](args, **kwargs)))
    except Exception as exc:
        got = failure(exc)
    return expected, got


CASES = [
    pytest.param("run", [PY, "-c", "print('hé')"], {"capture_output": True}, id="bytes"),
    pytest.param("run", [PY, "-c", "print('hé')"], {"capture_output": True, "text": True},
                 id="text"),
    pytest.param("run", [PY, "-c", "import sys; sys.stdout.buffer.write(b'a\\r\\nb\\rc')"],
                 {"stdout": subprocess.PIPE, "universal_newlines": True}, id="newlines"),
    pytest.param("run", [PY, "-c", "import sys; sys.stdout.buffer.write(b'\\xff!')"],
                 {"stdout": subprocess.PIPE, "encoding": "utf-8", "errors": "replace"},
                 id="encoding-errors"),
    pytest.param("run", [PY, "-c", "import sys; print(sys.stdin.read().upper())"],
                 {"input": "abc", "capture_output": True, "text": True}, id="input-text"),
    pytest.param("run", [PY, "-c", "import sys; sys.exit(3)"], {}, id="exit-status"),
    pytest.param("run", [PY, "-c", "import sys; print('x', file=sys.stderr); sys.exit(2)"],
                 {"capture_output": True, "check": True}, id="check-fails"),
    pytest.param("run", [PY, "-c", "import sys; print(1); print(2, file=sys.stderr)"],
                 {"stdout": subprocess.PIPE, "stderr": subprocess.STDOUT, "text": True},
                 id="stderr-to-stdout"),
    pytest.param("run", "echo $0-$1 | tr a-z A-Z", {"shell": True, "capture_output": True},
                 id="shell-string"),
    pytest.param("run", ["echo $0 $1", "zero", "one"], {"shell": True, "stdout": subprocess.PIPE},
                 id="shell-list"),
    pytest.param("run", [PY, "-c", "import os; print(os.getcwd(), os.environ['K'])"],
                 {"cwd": "/", "env": {"K": "v"}, "capture_output": True, "text": True},
                 id="cwd-env"),
    pytest.param("run", "/nonexistent/program", {}, id="missing-program"),
    pytest.param("run", [PY, "-c", "print(1)"], {"capture_output": True,
                                                   "stdout": subprocess.PIPE}, id="bad-args"),
    pytest.param("check_output", [PY, "-c", "print(42)"], {"text": True}, id="check-output"),
    pytest.param("check_output", [PY, "-c", "import sys; print(len(sys.stdin.read()))"],
                 {"input": None}, id="check-output-input-none"),
    pytest.param("check_output", [PY, "-c", "import sys; print('o'); sys.exit(1)"], {},
                 id="check-output-fails"),
    pytest.param("call", [PY, "-c", "import sys; sys.exit(4)"], {}, id="call"),
    pytest.param("check_call", [PY, "-c", "pass"], {}, id="check-call"),
    pytest.param("check_call", [PY, "-c", "import sys; sys.exit(5)"], {}, id="check-call-fails"),
]


@pytest.mark.parametrize(("kind", "args", "kwargs"), CASES)
def test_same_as_subprocess(kind: str, args: Any, kwargs: dict[str, Any]) -> None:
    expected, got = both(kind, args, **kwargs)
    assert got == expected


def test_timeout_kills_the_child_and_keeps_partial_output() -> None:
    script = ("import sys, time; print('started', flush=True); time.sleep(30)")
    expected, got = both("run", [PY, "-c", script], capture_output=True, timeout=1)
    assert got == expected
    assert got[0] is subprocess.TimeoutExpired

    async def timed() -> float:
        started = time.monotonic()
        with pytest.raises(subprocess.TimeoutExpired):
            await async_run([PY, "-c", script], timeout=0.5)
        return time.monotonic() - started

    assert asyncio.run(timed()) < 10  # the child was killed, not waited for


def test_it_does_not_block_the_loop() -> None:
    async def main() -> list[str]:
        order: list[str] = []

        async def tick() -> None:
            await asyncio.sleep(0.1)
            order.append("tick")

        async def child() -> None:
            await async_run([PY, "-c", "import time; time.sleep(0.6)"])
            order.append("child")

        await asyncio.gather(child(), tick())
        return order

    assert asyncio.run(main()) == ["tick", "child"]


def test_unsupported_keywords_say_what_to_do() -> None:
    with pytest.raises(TypeError, match=r"bufsize.*asyncio\.to_thread"):
        asyncio.run(async_run([PY, "-c", "pass"], bufsize=1))
