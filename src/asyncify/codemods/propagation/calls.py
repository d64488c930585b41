"""ASY902: every call site of a function that became async is awaited — entered with
``async with`` when it is a context manager, iterated with ``async for`` when it is a
generator — and, from a function that stays sync, called through ``asyncify.bridge``."""

from __future__ import annotations

import libcst as cst

from .._rule import Example, Rule, register
from .keep import unbridgeable


@register
class AwaitCallSites(Rule):
    id = "ASY902"
    title = "call sites of functions that became async are awaited (async with / async for)"
    async_only = False
    examples = (
        Example(
            "import time\n\ndef fetch():\n    time.sleep(0.1)\n    return 1\n\n"
            "def total():\n    return fetch() + fetch()\n",
            "import time\nimport asyncio\n\nasync def fetch():\n    await asyncio.sleep(0.1)\n"
            "    return 1\n\nasync def total():\n    return await fetch() + await fetch()\n",
            propagate=True,
        ),
        Example(
            "import time\n\ndef fetch():\n    time.sleep(0.1)\n    return {'a': 1}\n\n"
            "def first():\n    return fetch()['a']\n",
            "import time\nimport asyncio\n\nasync def fetch():\n    await asyncio.sleep(0.1)\n"
            "    return {'a': 1}\n\nasync def first():\n    return (await fetch())['a']\n",
            propagate=True,
        ),
        Example(
            "import smtplib\nimport time\n\ndef notify(msg):\n    time.sleep(0.1)\n"
            "    smtplib.SMTP('mail').send_message(msg)\n\ndef handler(msg):\n"
            "    notify(msg)\n",
            "import smtplib\nimport time\n\ndef notify(msg):\n    time.sleep(0.1)\n"
            "    smtplib.SMTP('mail').send_message(msg)\n\ndef handler(msg):\n"
            "    notify(msg)\n",
            why="notify still blocks on SMTP, so neither it nor its caller turns async",
            propagate=True,
        ),
        Example(
            "import time\n\ndef fetch():\n    time.sleep(0.1)\n    return 1\n\n"
            "class Report:\n    def __len__(self):\n        return fetch()\n",
            "import time\nimport asyncio\nfrom asyncify.bridge import run_async\n\n"
            "async def fetch():\n    await asyncio.sleep(0.1)\n    return 1\n\n"
            "class Report:\n"
            "    # TODO[asyncify ASY901]: stays sync: this special method cannot be async: move "
            "the I/O into an async method — "
            "https://asyncify.readthedocs.io/en/latest/rules/#asy901\n"
            "    def __len__(self):\n        return run_async(fetch)\n",
            propagate=True,
        ),
        Example(
            "import time\n\ndef rows():\n    time.sleep(0.1)\n    yield 1\n\n"
            "def consume():\n    out = []\n    for row in rows():\n        out.append(row)\n"
            "    return out\n",
            "import time\nimport asyncio\n\nasync def rows():\n    await asyncio.sleep(0.1)\n"
            "    yield 1\n\nasync def consume():\n    out = []\n    async for row in rows():\n"
            "        out.append(row)\n    return out\n",
            propagate=True,
        ),
    )

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        file = self.p.file
        if not (file.await_at or file.bridge_at):
            return updated
        position = self.p.position(original)
        if not self._targets(original, position):
            return updated  # another call starting at the same place (``f().g()``)
        parent = self.p.parent()
        if position in file.await_at:
            if isinstance(parent, cst.WithItem) and parent.item is original:
                return updated  # the with statement becomes async with
            if isinstance(parent, cst.For) and parent.iter is original:
                return updated  # the loop becomes async for
            if not self.p.in_async():
                self.p.todo(self.id, original, "calls a function that became async from "
                            "code that stays sync; await it, or call it through "
                            "asyncify.bridge.run_async")
                return updated
            self.p.changed(self.id)
            return self.p.awaited(original, updated)
        if position in file.bridge_at:
            if (isinstance(parent, cst.WithItem) and parent.item is original) or (
                    isinstance(parent, cst.For) and parent.iter is original):
                unbridgeable(self.p, position)
                self.p.todo(self.id, original, "sync code enters (or iterates) a function that "
                            "became async: the bridge cannot run a context manager or a "
                            "generator; keep a sync version for this caller")
                return updated
            self.p.need_import("asyncify.bridge", "run_async")
            self.p.changed(self.id)
            # A lone generator argument needs its own parentheses once it is not alone.
            args = [
                a.with_changes(value=a.value.with_changes(
                    lpar=[cst.LeftParen()], rpar=[cst.RightParen()]))
                if isinstance(a.value, cst.GeneratorExp) and not a.value.lpar else a
                for a in updated.args
            ]
            return cst.Call(cst.Name("run_async"), [cst.Arg(updated.func), *args])
        return updated

    def _targets(self, call: cst.Call, position: tuple[int, int]) -> bool:
        """Whether ``call`` is the call the analysis meant at ``position``."""
        names = self.p.file.callees.get(position)
        if not names:
            return True
        func = call.func
        leaf = func.value if isinstance(func, cst.Name) else (
            func.attr.value if isinstance(func, cst.Attribute) else None)
        # A class called (its __init__/__enter__…) or an unnamed callee: the position decides.
        return leaf is None or leaf in names or any(n.startswith("__") for n in names)

    def leave_With(self, original: cst.With, updated: cst.With) -> cst.BaseStatement:
        if original.asynchronous is not None or not self.p.file.await_at:
            return updated
        flags = [
            isinstance(item.item, cst.Call)
            and self.p.position(item.item) in self.p.file.await_at
            for item in original.items
        ]
        if not any(flags) or not self.p.in_async():
            return updated
        if len(updated.items) != len(flags):
            # Another rule rewrote some items (a cursor block merged into its connection):
            # pair the remaining items with the original ones by their expression.
            converted = [o.item for o, f in zip(original.items, flags, strict=True) if f]
            flags = [any(item.item.deep_equals(c) for c in converted) for item in updated.items]
            if not any(flags):
                return updated
        self.p.changed(self.id)
        if all(flags):
            return updated.with_changes(asynchronous=cst.Asynchronous())
        # Mixed sync and async context managers: nest them, keeping their order.
        groups: list[tuple[bool, list[cst.WithItem]]] = []
        for flag, item in zip(flags, updated.items, strict=True):
            if groups and groups[-1][0] == flag:
                groups[-1][1].append(item)
            else:
                groups.append((flag, [item]))
        body = updated.body
        for flag, items in reversed(groups[1:]):
            items[-1] = items[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
            inner = cst.With(items=items, body=body,
                             asynchronous=cst.Asynchronous() if flag else None)
            body = cst.IndentedBlock(body=[inner])
        first_flag, first_items = groups[0]
        first_items[-1] = first_items[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        return updated.with_changes(items=first_items, body=body,
                                    asynchronous=cst.Asynchronous() if first_flag else None)

    def leave_For(self, original: cst.For, updated: cst.For) -> cst.For:
        if (
            original.asynchronous is None
            and isinstance(original.iter, cst.Call)
            and self.p.file.await_at
            and self.p.in_async()
            and self.p.position(original.iter) in self.p.file.await_at
        ):
            self.p.changed(self.id)
            return updated.with_changes(asynchronous=cst.Asynchronous())
        return updated
