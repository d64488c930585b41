"""ASY901, bridged body (``codemods/propagation/shell.py``): in place, a function that must
stay ``def`` only because sync code calls it (a click command, a dunder) and that enters a
converted context manager keeps its ``def`` and runs its body on the bridge — ``async def
_body(): …`` and ``return run_async(_body)`` — so that the context manager (and whatever
else only it kept sync) converts.

Each case is a one-module project run through ``apply_recipe(..., propagate=True)`` with the
``stdlib-blocking`` recipe (``time.sleep`` → ``asyncio.sleep``). The cases that keep today's
behaviour first, each with the reason: the function stays sync as a whole and so does the
context manager it enters. Then rewrites, which are also imported and run: the click command
through click's ``CliRunner``, its return value, its exception, and a call from a running
event loop (``ReentryError``, not a deadlock). Every output parses; a second run changes
nothing."""

from __future__ import annotations

import ast
import asyncio
import importlib.util
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from click.testing import CliRunner

from asyncify.api import apply_recipe
from asyncify.bridge import ReentryError, shutdown

HEAD = """
    import sys
    import time
    from contextlib import contextmanager

    import click


    @contextmanager
    def opened(name):
        time.sleep(0.01)
        yield f"<{name}>"
        time.sleep(0.01)

"""

KEEPS_TODAYS_BEHAVIOUR = [
    pytest.param("""
        class Rows:
            def __iter__(self):
                with opened("rows") as r:
                    yield r
    """, "__iter__", "it is a generator: a yield cannot move into a coroutine",
        id="generator"),
    pytest.param("""
        class Base:
            def __getitem__(self, n):
                return n


        class Job(Base):
            def __getitem__(self, n):
                with opened("job"):
                    return super().__getitem__(n)
    """, "Job.__getitem__", "super() without arguments", id="zero-arg-super"),
    pytest.param("""
        @click.command("load")
        def load():
            with opened("db") as r:
                if not r:
                    sys.exit(1)
                click.echo(r)


        click.Group().add_command(load)
    """, "load", "sys.exit, which would stop the event loop", id="sys-exit"),
    pytest.param("""
        import smtplib


        @click.command("mail")
        def mail():
            with opened("smtp"):
                smtplib.SMTP("mail").noop()


        click.Group().add_command(mail)
    """, "mail", None, id="unconverted-io"),
]


def _run(tmp_path: Path, source: str) -> tuple[str, str]:
    root = tmp_path / "proj"
    root.mkdir(exist_ok=True)
    target = root / "example.py"
    target.write_text(source)
    run = apply_recipe([target], "stdlib-blocking", root=root, write=True, allow_dirty=True,
                       propagate=True)
    assert [o.status for o in run.outcomes] in (["changed"], ["unchanged"]), run.outcomes
    return run.outcomes[0].status, target.read_text()


@pytest.mark.parametrize(("body", "function", "why"), KEEPS_TODAYS_BEHAVIOUR)
def test_the_body_stays_where_moving_it_would_change_its_meaning(
    tmp_path: Path, body: str, function: str, why: str | None
) -> None:
    source = textwrap.dedent(HEAD).lstrip("\n") + textwrap.dedent(body)
    _, text = _run(tmp_path, source)
    ast.parse(text)
    assert "_body" not in text and "run_async" not in text, text
    # The function and the context manager it enters stay sync, as without bridged bodies.
    assert "@contextmanager\ndef opened(name):" in text, text
    assert not any(isinstance(n, ast.AsyncFunctionDef | ast.Await | ast.AsyncWith)
                   for n in ast.walk(ast.parse(text))), text
    marker = next(line for line in text.splitlines() if f"def {function.rpartition('.')[2]}("
                  in line)
    assert "stays sync: " in text and marker
    if why is not None:
        assert why in text, text
    assert _run(tmp_path, text) == ("unchanged", text)


COMMAND = """
    @click.command("load")
    @click.option("--times", default=1)
    def load(times):
        \"\"\"Load the thing.\"\"\"
        times = times + 1
        with opened("db") as r:
            click.echo(f"{r} x{times}")
        return times


    @click.command("fail")
    def fail():
        with opened("db") as r:
            raise ValueError(f"cannot load {r}")


    cli = click.Group()
    cli.add_command(load)
    cli.add_command(fail)


    class Job:
        def __getitem__(self, n):
            with opened("job") as r:
                return f"{r}:{n}"


    def first():
        with opened("plain") as r:
            return r
"""

EXPECTED = '''
    @asynccontextmanager
    async def opened(name):
        await asyncio.sleep(0.01)
        yield f"<{name}>"
        await asyncio.sleep(0.01)


    # TODO[asyncify ASY901]: stays def, body bridged: it is passed as a value to code that calls it synchronously; meanwhile its body runs on the event loop through asyncify.bridge.run_async (call it from sync code only) — https://asyncify.readthedocs.io/en/latest/rules/#asy901
    @click.command("load")
    @click.option("--times", default=1)
    def load(times):
        """Load the thing."""
        async def _body():
            nonlocal times
            times = times + 1
            async with opened("db") as r:
                click.echo(f"{r} x{times}")
            return times
        return run_async(_body)
'''


@pytest.fixture
def converted(tmp_path: Path) -> Iterator[tuple[str, ModuleType]]:
    source = textwrap.dedent(HEAD).lstrip("\n") + textwrap.dedent(COMMAND)
    status, text = _run(tmp_path, source)
    assert status == "changed"
    spec = importlib.util.spec_from_file_location("bridged_example", tmp_path / "proj" /
                                                  "example.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
        yield text, module
    finally:
        del sys.modules[spec.name]
        shutdown()


def test_a_click_command_keeps_def_and_runs_its_body_on_the_bridge(
    tmp_path: Path, converted: tuple[str, ModuleType]
) -> None:
    text, _ = converted
    assert textwrap.dedent(EXPECTED).strip("\n") in text, text
    assert "from asyncify.bridge import run_async" in text
    assert "    def __getitem__(self, n):\n        async def _body():\n" in text
    assert "async def first():\n    async with opened(\"plain\") as r:" in text
    ast.parse(text)
    assert _run(tmp_path, text) == ("unchanged", text)


def test_the_bridged_command_behaves_as_before(converted: tuple[str, ModuleType]) -> None:
    _, module = converted
    runner = CliRunner()
    result = runner.invoke(module.load, ["--times", "2"], standalone_mode=False)
    assert result.exception is None, result.exception
    assert result.output == "<db> x3\n"
    assert result.return_value == 3  # the body's return value comes back through run_async
    assert module.load.help == "Load the thing."  # the docstring stayed on the def
    failed = runner.invoke(module.fail, [])
    assert isinstance(failed.exception, ValueError)  # the same exception, unchanged
    assert str(failed.exception) == "cannot load <db>"
    assert module.Job()[7] == "<job>:7"
    assert asyncio.run(module.first()) == "<plain>"


def test_a_bridged_body_called_from_the_event_loop_raises_instead_of_deadlocking(
    converted: tuple[str, ModuleType],
) -> None:
    _, module = converted

    async def on_the_loop() -> str:
        result: str = module.Job()[1]
        return result

    with pytest.raises(ReentryError, match="deadlock"):
        asyncio.run(on_the_loop())
