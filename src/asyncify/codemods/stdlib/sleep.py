"""ASY501: ``time.sleep`` in async code becomes ``await asyncio.sleep``."""

from __future__ import annotations

import libcst as cst

from .._rule import Example, Rule, register


@register
class SleepInAsync(Rule):
    id = "ASY501"
    title = "time.sleep() inside async code becomes await asyncio.sleep()"
    gate = frozenset({"time"})
    triggers = frozenset({"sleep"})
    converts = frozenset({"time.sleep"})
    examples = (
        Example(
            "import time\n\ndef poll():\n    time.sleep(0.5)\n",
            "import time\n\ndef poll():\n    time.sleep(0.5)\n",
            why="sync code may block: only async functions are rewritten",
        ),
        Example(
            "import asyncio\n\nasync def poll():\n    await asyncio.sleep(0.5)\n",
            "import asyncio\n\nasync def poll():\n    await asyncio.sleep(0.5)\n",
            why="already async",
        ),
        Example(
            "import time\n\nasync def poll():\n    time.sleep(0.5)\n",
            "import time\nimport asyncio\n\nasync def poll():\n    await asyncio.sleep(0.5)\n",
        ),
        Example(
            "from time import sleep as pause\n\nasync def poll(n):\n"
            "    for _ in range(n):\n        pause(0.1)\n",
            "from time import sleep as pause\nimport asyncio\n\nasync def poll(n):\n"
            "    for _ in range(n):\n        await asyncio.sleep(0.1)\n",
        ),
    )

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        if not self.p.in_async() or "time.sleep" not in self.p.qualified(original.func):
            return updated
        self.p.need_import("asyncio")
        self.p.changed(self.id)
        call = updated.with_changes(func=cst.parse_expression("asyncio.sleep"))
        return self.p.awaited(original, call)
