"""ASY502: a blocking subprocess call in async code runs in a worker thread."""

from __future__ import annotations

import libcst as cst

from .._rule import Example, Rule, register
from ._catalog_names import names
from ._to_thread import to_thread

# A Popen object is used afterwards (communicate, wait, poll): that needs a human.
_OBJECTS = frozenset({"subprocess.Popen", "os.popen"})


@register
class SubprocessInAsync(Rule):
    id = "ASY502"
    title = "subprocess calls inside async code run through await asyncio.to_thread()"
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
            "    return subprocess.check_output(['git', '--version'], timeout=5)\n",
            "import subprocess\nimport asyncio\n\nasync def version():\n"
            "    return await asyncio.to_thread(subprocess.check_output, ['git', '--version'], timeout=5)\n",
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
        if qualified & names("subprocess"):
            return to_thread(self, original, updated)
        return updated
