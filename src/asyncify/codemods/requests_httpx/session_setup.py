"""ASY205: ``requests.Session()`` → ``httpx.AsyncClient(...)``, only when every use of the
session is converted (see ``_sessions``); the settings move where httpx wants them.

- ``s.mount("http(s)://", HTTPAdapter(max_retries=N))`` → ``transport=httpx.AsyncHTTPTransport(
  retries=N)`` in the constructor, with a TODO: httpx retries connect errors only, no backoff.
- ``s.params = {...}`` stays settable, through ``requests_params`` (None dropped, bools kept).
- ``headers``, ``cookies`` and tuple ``auth`` stay as they are; ``await s.close()`` →
  ``await s.aclose()`` in async code.
- Not guessed — the session stays ``requests.Session`` with a TODO listing why: a
  ``Retry(...)`` object, other ``HTTPAdapter`` options, ``hooks``, custom auth, constructor-only
  attributes (``verify``, ``proxies``…), a use the index did not resolve or that stays sync,
  a session passed around, stored elsewhere or created at module level.

The client is created where the session was (creating it does no I/O, so ``__init__`` stays
sync), but it is bound to the event loop that first uses it and must be closed: a TODO says so.
"""

from __future__ import annotations

from typing import Any

import libcst as cst

from .._rule import Example, Rule, register
from ._kwargs import is_literal_mapping, kw
from ._sessions import SCRATCH, Sessions, sessions


@register
class SessionSetup(Rule):
    id = "ASY205"
    title = (
        "requests.Session() → httpx.AsyncClient(...) when every use is converted, "
        "HTTPAdapter(max_retries=N) → AsyncHTTPTransport(retries=N); otherwise a TODO why"
    )
    gate = frozenset({"requests"})
    triggers = frozenset({"Session", "session"})
    async_only = False
    examples = (
        Example(
            "import requests\n\nclass Rates:\n    def __init__(self):\n"
            "        self.session = requests.Session()\n\n    def rate(self, url):\n"
            "        return self.session.get(url, timeout=2).json()\n",
            "import requests\n\nclass Rates:\n    def __init__(self):\n"
            "        self.session = requests.Session()\n\n    def rate(self, url):\n"
            "        return self.session.get(url, timeout=2).json()\n",
            why="without the project index no use is known to be converted",
        ),
        Example(
            "import requests\nfrom requests.adapters import HTTPAdapter\n\nclass Rates:\n"
            "    def __init__(self, key):\n        self.session = requests.Session()\n"
            "        self.session.mount('http://', HTTPAdapter(max_retries=3))\n"
            "        self.session.params = {'key': key}\n\n    def rate(self):\n"
            "        return self.session.get('http://fx/rates', timeout=2).json()\n",
            "import requests\nfrom requests.adapters import HTTPAdapter\nimport httpx\n"
            "from asyncify.compat import requests_params\n\nclass Rates:\n"
            "    def __init__(self, key):\n"
            "        # TODO[asyncify ASY205]: HTTPAdapter(max_retries=N) became "
            "AsyncHTTPTransport(retries=N): httpx retries connect errors only, with no "
            "backoff (requests also retried read errors of idempotent requests); the "
            "AsyncClient is bound to the event loop that first uses it and must be closed "
            "(await client.aclose()): create it where that loop runs (the app's lifespan) — "
            "https://asyncify.readthedocs.io/en/latest/rules/#asy205\n"
            "        self.session = httpx.AsyncClient(transport=httpx.AsyncHTTPTransport("
            "retries=3))\n"
            "        # TODO[asyncify ASY205]: httpx drops a query string already in a request "
            "URL when the client has params (requests appends them): check no URL carries "
            "one — https://asyncify.readthedocs.io/en/latest/rules/#asy205\n"
            "        self.session.params = requests_params({'key': key})\n\n"
            "    async def rate(self):\n"
            "        return (await self.session.get('http://fx/rates', timeout=2, "
            "follow_redirects=True)).json()\n",
            propagate=True,
        ),
        Example(
            "import requests\n\nclass Rates:\n    def __init__(self):\n"
            "        self.session = requests.Session()\n"
            "        self.session.hooks['response'].append(print)\n\n"
            "    async def rate(self, url):\n"
            "        return self.session.get(url, timeout=2).json()\n",
            "import requests\nimport asyncio\n\nclass Rates:\n    def __init__(self):\n"
            "        # TODO[asyncify ASY205]: requests.Session kept (session.hooks (line 6): "
            "httpx event hooks must be async def and cannot replace the response); its calls "
            "in async code run in a worker thread — "
            "https://asyncify.readthedocs.io/en/latest/rules/#asy205\n"
            "        self.session = requests.Session()\n"
            "        self.session.hooks['response'].append(print)\n\n"
            "    async def rate(self, url):\n"
            "        # TODO[asyncify ASY204]: this session stays a requests.Session (the "
            "ASY205 TODO at line 5 says why): the call runs in a worker thread until the "
            "session is ported by hand — "
            "https://asyncify.readthedocs.io/en/latest/rules/#asy204\n"
            "        return (await asyncio.to_thread(self.session.get, url, timeout=2)).json()\n",
            propagate=True,
        ),
    )

    def visit_Module(self, node: cst.Module) -> None:
        sessions(self.p, node)

    def _found(self) -> Sessions:
        found = self.p.scratch.get(SCRATCH)
        assert isinstance(found, Sessions)
        return found

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        found = self._found()
        closing = found.closes.get(id(original))
        if closing is not None and closing.converts and isinstance(updated.func, cst.Attribute):
            self.p.changed(self.id)
            return self.p.awaited(original, updated.with_changes(
                func=updated.func.with_changes(attr=cst.Name("aclose"))))
        session = found.constructors.get(id(original))
        if session is None or not session.used_async:
            return updated
        if not session.converts:
            self.p.todo(self.id, original, f"requests.Session kept ({session.why()}); its "
                        "calls in async code run in a worker thread")
            return updated
        self.p.need_import("httpx")
        args = []
        why = ("the AsyncClient is bound to the event loop that first uses it and must be "
               "closed (await client.aclose()): create it where that loop runs (the app's "
               "lifespan)")
        if session.retries is not None:
            why = ("HTTPAdapter(max_retries=N) became AsyncHTTPTransport(retries=N): httpx "
                   "retries connect errors only, with no backoff (requests also retried read "
                   "errors of idempotent requests); " + why)
            args.append(kw("transport", cst.Call(
                cst.parse_expression("httpx.AsyncHTTPTransport"),
                [kw("retries", session.retries)])))
        self.p.todo(self.id, original, why)
        self.p.changed(self.id)
        return cst.Call(cst.parse_expression("httpx.AsyncClient"), args)

    def leave_SimpleStatementLine(
        self, original: cst.SimpleStatementLine, updated: cst.SimpleStatementLine
    ) -> Any:
        session = self._found().mounts.get(id(original))
        if session is None or not session.converts or not session.used_async:
            return updated
        self.p.changed(self.id)
        return cst.RemoveFromParent()  # moved into the constructor

    def leave_Assign(self, original: cst.Assign, updated: cst.Assign) -> cst.Assign:
        session = self._found().settings.get(id(original))
        if session is None or not session.converts or not session.used_async:
            return updated
        self.p.todo(self.id, original, "httpx drops a query string already in a request URL "
                    "when the client has params (requests appends them): check no URL "
                    "carries one")
        if is_literal_mapping(updated.value):
            return updated
        self.p.need_import("asyncify.compat", "requests_params")
        self.p.changed(self.id)
        return updated.with_changes(
            value=cst.Call(cst.Name("requests_params"), [cst.Arg(updated.value)]))
