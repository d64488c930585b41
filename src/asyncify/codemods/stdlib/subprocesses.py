"""ASY502: a blocking subprocess call in async code: ``subprocess.run``/``check_output``/
``call``/``check_call`` → ``await compat.async_run``/``async_check_output``/``async_call``/
``async_check_call`` (asyncio subprocesses with ``subprocess``'s semantics: decoding, ``check``,
``input``, ``timeout`` with the child killed, see ``compat._subprocess``) when every argument
has an asyncio form; otherwise, and for the other calls, a worker thread
(``await asyncio.to_thread(...)``), with a note saying why for those four."""

from __future__ import annotations

import libcst as cst

from ...compat._subprocess import PASS_THROUGH
from .._rule import Example, Rule, register
from ._catalog_names import names
from ._to_thread import to_thread

_NATIVE = {"subprocess.run": "async_run", "subprocess.check_output": "async_check_output",
           "subprocess.call": "async_call", "subprocess.check_call": "async_check_call"}
_KEYWORDS = frozenset({
    "args", "input", "capture_output", "stdin", "stdout", "stderr", "shell", "timeout",
    "check", "text", "encoding", "errors", "universal_newlines", *PASS_THROUGH,
})

# A Popen object is used afterwards (communicate, wait, poll): that needs a human.
_OBJECTS = frozenset({"subprocess.Popen", "os.popen"})


@register
class SubprocessInAsync(Rule):
    id = "ASY502"
    title = ("subprocess.run/check_output/call/check_call inside async code become asyncio "
             "subprocesses with the same semantics (else, and other calls, asyncio.to_thread)")
    gate = frozenset({"subprocess", "os"})
    triggers = frozenset({"subprocess", "system", "popen", "spawn", "wait"})

    @classmethod
    def converts_op(cls, operation: str) -> bool:
        return operation in names("subprocess") and not operation.startswith(tuple(_OBJECTS))
    examples = (
        Example(
            "import subprocess\n\ndef version():\n    return subprocess.check_output(['git', '--version'])\n",
            "import subprocess\n\ndef version():\n    return subprocess.check_output(['git', '--version'])\n",
            why="sync code may block",
        ),
        Example(
            "import subprocess\n\nasync def version():\n"
            "    return subprocess.check_output(['git', '--version'], timeout=5, text=True)\n",
            "import subprocess\nfrom asyncify.compat import async_check_output\n\n"
            "async def version():\n"
            "    return await async_check_output(['git', '--version'], timeout=5, text=True)\n",
        ),
        Example(
            "import subprocess\n\nasync def version():\n"
            "    return subprocess.run(['git', '--version'], bufsize=1).returncode\n",
            "import subprocess\nimport asyncio\n\nasync def version():\n"
            "    # TODO[asyncify ASY502]: runs in a worker thread: bufsize= has no asyncio "
            "subprocess equivalent — https://asyncify.readthedocs.io/en/latest/rules/#asy502\n"
            "    return (await asyncio.to_thread(subprocess.run, ['git', '--version'], "
            "bufsize=1)).returncode\n",
        ),
        Example(
            "import subprocess\n\nasync def run():\n    proc = subprocess.Popen(['sleep', '1'])\n    proc.wait()\n",
            "import subprocess\n\nasync def run():\n"
            "    # TODO[asyncify ASY502]: subprocess.Popen blocks the event loop when waited on; use "
            "await asyncio.create_subprocess_exec(...) and await proc.wait() — "
            "https://asyncify.readthedocs.io/en/latest/rules/#asy502\n"
            "    proc = subprocess.Popen(['sleep', '1'])\n    proc.wait()\n",
        ),
    )

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        if not self.p.in_async():
            return updated
        qualified = self.p.qualified(original.func)
        if qualified & _OBJECTS:
            self.p.todo(self.id, original, f"{min(qualified & _OBJECTS)} blocks the event loop "
                        "when waited on; use await asyncio.create_subprocess_exec(...) and "
                        "await proc.wait()")
            return updated
        native = next((_NATIVE[q] for q in qualified if q in _NATIVE), None)
        if native is not None:
            why = _unsupported(updated)
            if why is None:
                self.p.need_import("asyncify.compat", native)
                self.p.changed(self.id)
                return self.p.awaited(original, updated.with_changes(func=cst.Name(native)))
            self.p.todo(self.id, original, f"runs in a worker thread: {why} has no asyncio "
                        "subprocess equivalent")
            return to_thread(self, original, updated)
        if qualified & names("subprocess"):
            return to_thread(self, original, updated)
        return updated


def _unsupported(call: cst.Call) -> str | None:
    """What in the call ``compat.async_run`` cannot take, or ``None``."""
    positional = [a for a in call.args if a.keyword is None]
    if any(a.star for a in call.args):
        return "an unpacked argument (*args/**kwargs)"
    if len(positional) > 1:
        return "a positional argument after the command"
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value not in _KEYWORDS:
            return f"{arg.keyword.value}="
    return None
