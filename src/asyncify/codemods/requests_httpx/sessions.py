"""ASY204: calls on a ``requests.Session`` inside async code, found by the project index (the
receiver's type is not in the syntax: ``self.session.get(...)``).

When the session becomes an ``httpx.AsyncClient`` (ASY205 decides, see ``_sessions``): ``await
<receiver>.<verb>(...)`` with the keywords ASY201 makes explicit, and the simple streaming
shape — ``r = s.get(..., stream=True)`` read by the statements after it — becomes ``async with
s.stream(...) as r:`` with ``async for`` over ``aiter_lines()``/``aiter_bytes(n)``
(``iter_content()`` read 1 byte at a time; ``iter_lines`` yielded bytes, so ``.decode()`` on
the line goes). When the session stays a ``requests.Session``, its calls in async code run in
a worker thread (``await asyncio.to_thread(...)``), unchanged, with a TODO saying why.
"""

from __future__ import annotations

import libcst as cst

from .._rule import Example, Rule, register
from ..propagation.keep import keep
from ._kwargs import VERBS, httpx_arguments, laid_out, split_call
from ._sessions import SCRATCH, Sessions, sessions
from ._tries import CONVERTED, KEPT, note
from .calls import RESPONSES, STREAMING

_STREAMED = "requests_httpx.streamed"  # id(new stream call) → response name
_LINES = "requests_httpx.lines"  # (function, loop variable) that now holds str lines

_CLIENT = (
    "import requests\n\nclass Rates:\n    def __init__(self, base):\n"
    "        self.base = base\n        self.session = requests.Session()\n\n"
)


@register
class SessionCalls(Rule):
    id = "ASY204"
    title = (
        "calls on a requests.Session the index resolved, inside async code: awaited "
        "AsyncClient calls with requests' defaults explicit (stream=True → async with "
        "client.stream), or a worker thread while the session stays requests"
    )
    gate = frozenset({"requests"})
    triggers = frozenset({"Session", "session"})
    converts = frozenset({
        *(f"requests.Session.{verb}" for verb in (*VERBS, "request")),
        "requests.Response.iter_lines", "requests.Response.iter_content",
    })
    examples = (
        Example(
            _CLIENT + "    def rate(self, code):\n"
            "        return self.session.get(self.base + '/rates/' + code, timeout=2).json()\n",
            _CLIENT + "    def rate(self, code):\n"
            "        return self.session.get(self.base + '/rates/' + code, timeout=2).json()\n",
            why="without the project index (apply --propagate) the receiver's type is unknown",
        ),
        Example(
            "import requests\nimport smtplib\n\nclass Rates:\n    def __init__(self):\n"
            "        self.session = requests.Session()\n\n    def rate(self, url):\n"
            "        smtplib.SMTP('mail').noop()\n"
            "        return self.session.get(url, timeout=2).json()\n",
            "import requests\nimport smtplib\n\nclass Rates:\n    def __init__(self):\n"
            "        self.session = requests.Session()\n\n    def rate(self, url):\n"
            "        smtplib.SMTP('mail').noop()\n"
            "        return self.session.get(url, timeout=2).json()\n",
            why="rate still blocks on SMTP, so it stays sync and so does the session",
            propagate=True,
        ),
        Example(
            _CLIENT + "    def rate(self, code):\n"
            "        r = self.session.get(self.base + '/rates', params={'c': code}, "
            "timeout=(1, 5))\n        r.raise_for_status()\n        return r.json()\n",
            "import requests\nimport httpx\nfrom asyncify.compat import requests_params\n\n"
            "class Rates:\n    def __init__(self, base):\n        self.base = base\n"
            "        # TODO[asyncify ASY205]: the AsyncClient is bound to the event loop that "
            "first uses it and must be closed (await client.aclose()): create it where that "
            "loop runs (the app's lifespan) — "
            "https://asyncify.readthedocs.io/en/latest/rules/#asy205\n"
            "        self.session = httpx.AsyncClient()\n\n    async def rate(self, code):\n"
            "        # TODO[asyncify ASY204]: httpx replaces a query string already in the URL "
            "when params= is given (requests appends): check the URL never carries one — "
            "https://asyncify.readthedocs.io/en/latest/rules/#asy204\n"
            "        r = await self.session.get(self.base + '/rates', params=requests_params("
            "{'c': code}), timeout=httpx.Timeout(connect=1, read=5, write=5, pool=5), "
            "follow_redirects=True)\n        r.raise_for_status()\n        return r.json()\n",
            propagate=True,
        ),
        Example(
            _CLIENT + "    def lines(self):\n"
            "        r = self.session.get(self.base + '/feed', stream=True, timeout=5)\n"
            "        r.raise_for_status()\n        out = []\n"
            "        for line in r.iter_lines():\n            out.append(line.decode())\n"
            "        return out\n",
            "import requests\nimport httpx\n\nclass Rates:\n    def __init__(self, base):\n"
            "        self.base = base\n"
            "        # TODO[asyncify ASY205]: the AsyncClient is bound to the event loop that "
            "first uses it and must be closed (await client.aclose()): create it where that "
            "loop runs (the app's lifespan) — "
            "https://asyncify.readthedocs.io/en/latest/rules/#asy205\n"
            "        self.session = httpx.AsyncClient()\n\n    async def lines(self):\n"
            "        async with self.session.stream(\"GET\", self.base + '/feed', timeout=5, "
            "follow_redirects=True) as r:\n"
            "            r.raise_for_status()\n            out = []\n"
            "            # TODO[asyncify ASY204]: aiter_lines() yields str (requests yielded "
            "bytes) and also splits on \\x0b, \\x0c, \\x1c-\\x1e, \\x85, U+2028/U+2029: check "
            "the loop body (NDJSON/SSE with raw U+2028) — "
            "https://asyncify.readthedocs.io/en/latest/rules/#asy204\n"
            "            async for line in r.aiter_lines():\n"
            "                out.append(line)\n            return out\n",
            propagate=True,
        ),
    )

    def visit_Module(self, node: cst.Module) -> None:
        sessions(self.p, node)

    def _found(self) -> Sessions:
        found = self.p.scratch.get(SCRATCH)
        assert isinstance(found, Sessions)
        return found

    def visit_For(self, node: cst.For) -> None:
        chunk = self._found().loops.get(id(node))
        if chunk is not None and chunk[0] == "aiter_lines" and isinstance(node.target, cst.Name):
            self.p.scratch.setdefault(_LINES, set()).add((self.p.qualname(), node.target.value))

    def leave_For(self, original: cst.For, updated: cst.For) -> cst.For:
        chunk = self._found().loops.get(id(original))
        if chunk is None or not isinstance(updated.iter, cst.Call):
            return updated
        method, size = chunk
        func = updated.iter.func
        assert isinstance(func, cst.Attribute)
        args = [cst.Arg(size)] if size is not None else []
        if method == "aiter_lines":
            self.p.todo(self.id, original, "aiter_lines() yields str (requests yielded bytes) "
                        "and also splits on \\x0b, \\x0c, \\x1c-\\x1e, \\x85, U+2028/U+2029: "
                        "check the loop body (NDJSON/SSE with raw U+2028)")
        self.p.changed(self.id)
        return updated.with_changes(
            asynchronous=cst.Asynchronous(),
            iter=updated.iter.with_changes(func=func.with_changes(attr=cst.Name(method)),
                                           args=args))

    def leave_Call(
        self, original: cst.Call, updated: cst.BaseExpression
    ) -> cst.BaseExpression:
        if not isinstance(updated, cst.Call):
            return updated  # another rule already replaced the call (e.g. with an await)
        func = updated.func
        if (
            isinstance(func, cst.Attribute) and func.attr.value == "decode"
            and isinstance(func.value, cst.Name)
            and (self.p.qualname(), func.value.value) in self.p.scratch.get(_LINES, ())
        ):
            return func.value  # the line is already str
        session = self._found().calls.get(id(original))
        if session is None and self.p.in_async() and isinstance(func, cst.Attribute) and (
                # (a call chained on it, .json(), starts at the same position)
                self.p.site(original) == f"requests.Session.{func.attr.value}"):
            # A session this rule does not port (made at module level, or passed in): its
            # calls stay requests', so a function propagation wanted async stays sync.
            if self.p.qualname() in self.p.file.make_async:
                note(self.p, KEPT)
                keep(self.p, self.id, f"{self.p.site(original)}() on a session asyncify does "
                     "not port here (one made at module level or passed in): make it an "
                     "httpx.AsyncClient by hand")
            return updated
        if session is None or not self.p.in_async() or not isinstance(func, cst.Attribute):
            return updated
        why = session.why(self.p.qualname())
        if why:
            note(self.p, KEPT)
            if self.p.qualname() in self.p.file.make_async:
                # Propagation wanted this function async: it stays sync instead (a worker
                # thread is for code that was async already).
                keep(self.p, self.id, f"a call on a requests.Session that stays requests ({why})")
                return updated
            self.p.todo(self.id, original, "this session stays a requests.Session (the "
                        f"ASY205 TODO at line {self.p.line(session.constructor)} says why): "
                        "the call runs in a worker thread until the session is ported by hand")
            self.p.need_import("asyncio")
            self.p.changed(self.id)
            call = cst.Call(cst.parse_expression("asyncio.to_thread"),
                            laid_out(original, [cst.Arg(func), *updated.args]),
                            whitespace_before_args=original.whitespace_before_args)
            return self.p.awaited(original, call)
        verb = func.attr.value
        request = split_call(verb, list(updated.args))
        assert request is not None and not isinstance(request, str)  # checked by the scan
        streamed = id(original) in self._found().streams
        attribute, out = httpx_arguments(self.p, self.id, original, request, streamed=streamed,
                                         requests_client=session.adopted)
        call = cst.Call(func.with_changes(attr=cst.Name(attribute)), laid_out(original, out),
                        whitespace_before_args=original.whitespace_before_args)
        self.p.changed(self.id)
        note(self.p, CONVERTED)
        parent = self.p.parent()
        target = (parent.targets[0].target if isinstance(parent, cst.Assign)
                  and parent.value is original and len(parent.targets) == 1 else None)
        if isinstance(target, cst.Name):
            # ASY203 rewrites the response's requests-only attributes further down.
            self.p.scratch.setdefault(RESPONSES, set()).add((self.p.qualname(), target.value))
        if streamed:
            assert isinstance(target, cst.Name)  # the scan only accepts ``name = call``
            self.p.scratch.setdefault(STREAMING, set()).add((self.p.qualname(), target.value))
            self.p.scratch.setdefault(_STREAMED, {})[id(call)] = target.value
            return call
        return self.p.awaited(original, call)

    def leave_IndentedBlock(
        self, original: cst.IndentedBlock, updated: cst.IndentedBlock
    ) -> cst.IndentedBlock:
        streamed = self.p.scratch.get(_STREAMED)
        if not streamed:
            return updated
        body = list(updated.body)
        for index, statement in enumerate(body):
            if not (isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1):
                continue
            assign = statement.body[0]
            if not (isinstance(assign, cst.Assign) and id(assign.value) in streamed):
                continue
            name = streamed.pop(id(assign.value))
            inner = body[index + 1:] or [cst.SimpleStatementLine([cst.Pass()])]
            block = cst.With(
                items=[cst.WithItem(assign.value, asname=cst.AsName(cst.Name(name)))],
                body=cst.IndentedBlock(body=inner),
                asynchronous=cst.Asynchronous(),
                leading_lines=statement.leading_lines,
            )
            return updated.with_changes(body=[*body[:index], block])
        return updated
