"""ASY503: blocking file-system calls in async code run in a worker thread; ``open()`` gets
a TODO (the whole read or write has to move, not just the call)."""

from __future__ import annotations

import libcst as cst

from .._rule import Example, Rule, register
from ._catalog_names import names
from ._to_thread import to_thread

_OPEN = frozenset({"builtins.open", "io.open", "codecs.open"})


@register
class FilesInAsync(Rule):
    id = "ASY503"
    title = "os.path, os and shutil file calls inside async code run through asyncio.to_thread"
    triggers = frozenset({"open", "os.", "shutil", "path", "import os", "from os"})

    @classmethod
    def converts_op(cls, operation: str) -> bool:
        return (operation in names("file") and operation not in _OPEN
                and not operation.startswith("pathlib."))
    examples = (
        Example(
            "import os\n\ndef exists(p):\n    return os.path.exists(p)\n",
            "import os\n\ndef exists(p):\n    return os.path.exists(p)\n",
            why="sync code may block",
        ),
        Example(
            "import os.path\n\nasync def exists(p):\n    return os.path.join(p, 'x')\n",
            "import os.path\n\nasync def exists(p):\n    return os.path.join(p, 'x')\n",
            why="os.path.join does no I/O",
        ),
        Example(
            "import os\n\nasync def exists(p):\n    if os.path.exists(p):\n        os.remove(p)\n",
            "import os\nimport asyncio\n\nasync def exists(p):\n"
            "    if await asyncio.to_thread(os.path.exists, p):\n"
            "        await asyncio.to_thread(os.remove, p)\n",
        ),
        Example(
            "async def load(p):\n    with open(p) as f:\n        return f.read()\n",
            "async def load(p):\n"
            "    # TODO[asyncify ASY503]: open() blocks the event loop; move the whole read or "
            "write into a sync function and call it with await asyncio.to_thread(...) — "
            "https://asyncify.readthedocs.io/en/latest/rules/#asy503\n"
            "    with open(p) as f:\n        return f.read()\n",
        ),
    )

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        if not self.p.in_async():
            return updated
        qualified = self.p.qualified(original.func)
        if qualified & _OPEN:
            self.p.todo(self.id, original, "open() blocks the event loop; move the whole read "
                        "or write into a sync function and call it with "
                        "await asyncio.to_thread(...)")
            return updated
        # Module functions only: pathlib methods need the receiver's type (see check).
        if qualified & names("file") and not any(q.startswith("pathlib.") for q in qualified):
            return to_thread(self, original, updated)
        return updated
