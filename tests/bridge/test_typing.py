"""ParamSpec typing: mypy sees through run_sync/to_async/run_async/to_sync, kwargs included."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from mypy import api

pytestmark = pytest.mark.timeout(120)

SNIPPET = textwrap.dedent(
    """
    from asyncify import bridge

    def add(a: int, *, b: int = 0) -> int:
        return a + b

    async def fetch(user: str) -> bytes:
        return user.encode()

    async def main() -> None:
        ok: int = await bridge.run_sync(add, 1, b=2)
        reveal_type(bridge.to_async(add, lane="db"))
        reveal_type(bridge.to_sync(fetch))
        await bridge.run_sync(add, "one")  # line 13: wrong argument type
        await bridge.to_async(add)(1, c=2)  # line 14: unknown keyword
        text: str = bridge.run_async(fetch, "ada")  # line 15: wrong result type
    """
)


def test_mypy_checks_arguments_and_results_through_the_bridge(tmp_path: Path) -> None:
    snippet = tmp_path / "snippet.py"
    snippet.write_text(SNIPPET)
    stdout, _, _ = api.run(
        ["--strict", "--no-color-output", "--cache-dir", str(tmp_path / "cache"), str(snippet)]
    )
    lines = [
        line.split(": ", 1)[1].replace("builtins.", "")  # older mypy qualifies builtins
        for line in stdout.splitlines()
        if line.startswith(str(snippet))
    ]
    assert lines == [
        'note: Revealed type is "def (a: int, *, b: int =) -> typing.Coroutine[Any, Any, int]"',
        'note: Revealed type is "def (user: str) -> bytes"',
        'error: Argument 2 to "run_sync" has incompatible type "str"; expected "int"  [arg-type]',
        'error: Unexpected keyword argument "c"  [call-arg]',
        'error: Incompatible types in assignment (expression has type "bytes", variable has '
        'type "str")  [assignment]',
    ]
