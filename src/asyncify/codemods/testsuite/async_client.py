"""ASY708: the async option — ``httpx.AsyncClient`` over the ASGI app, tests run by anyio.

Runs after ASY701/ASY707 (recipe ``flask-tests-to-httpx-async``) and turns their sync
``asgi_client(app)`` into ``httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
base_url="http://localhost")`` where the client's lifetime is visible:

- a fixture ``return``/``yield``-ing the client becomes an ``async def`` fixture holding it in
  ``async with ... as client: yield client`` (closed after the test);
- ``with app.test_client() as c`` becomes ``async with httpx.AsyncClient(...) as c``.

Calls on such a client (a parameter named like the client fixture, or the ``async with``
name) are awaited; a test function that makes one becomes ``async def`` marked
``@pytest.mark.anyio`` (pytest's anyio plugin, not pytest-asyncio); any other function that
does becomes ``async def`` with a TODO, since its callers must now await it. A client
assigned from ``test_client()`` in the test body stays the sync ``asgi_client`` (it works
inside or outside async tests; nothing closes an ``AsyncClient`` there). A module whose
client fixture became async also gets an ``anyio_backend`` fixture returning ``"asyncio"``
(anyio's plugin would otherwise run every backend installed, trio included), unless it
defines one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import libcst as cst

from .._rule import Example, Rule, register
from ._common import CONVERTED, FIXTURE_NAMES, kw

if TYPE_CHECKING:
    from .._engine import Pass

_ASYNC_NAMES = "testsuite.async_clients"  # names bound by a converted ``async with``


def _is_sync_client(node: cst.BaseExpression) -> bool:
    return (isinstance(node, cst.Call) and isinstance(node.func, cst.Name)
            and node.func.value == "asgi_client" and len(node.args) == 1)


def _async_client(sync: cst.Call) -> cst.Call:
    transport = cst.Call(cst.Attribute(cst.Name("httpx"), cst.Name("ASGITransport")),
                         [kw("app", sync.args[0].value)])
    return cst.Call(cst.Attribute(cst.Name("httpx"), cst.Name("AsyncClient")), [
        kw("transport", transport).with_changes(
            comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))),
        kw("base_url", cst.SimpleString('"http://localhost"'))])


@register
class AsyncClient(Rule):
    id = "ASY708"
    title = ("option: the converted test client as httpx.AsyncClient over ASGITransport, "
             "its calls awaited in async tests run by anyio")
    triggers = frozenset({"test_client", "client"})
    async_only = False
    examples: ClassVar[tuple[Example, ...]] = (
        Example(
            "def test_home(client):\n    assert client.get('/').status_code == 200\n",
            "def test_home(client):\n    assert client.get('/').status_code == 200\n",
            why="run without ASY701 nothing was converted to a client of the ASGI app",
        ),
        Example(
            "import pytest\nfrom shop import create_app\n\n@pytest.fixture\ndef client():\n"
            "    return create_app().test_client()\n\n"
            "def test_home(client):\n    r = client.get('/', query_string={'q': 1})\n"
            "    assert r.status_code == 200 and r.get_json() == {}\n",
            "import pytest\nfrom shop import create_app\nimport httpx\n"
            "from asyncify.compat import combined_app, json_or_none\n\n"
            "@pytest.fixture\nasync def client():\n"
            "    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=combined_app("
            "create_app())), base_url=\"http://localhost\") as client:\n"
            "        yield client\n\n"
            "@pytest.mark.anyio\nasync def test_home(client):\n"
            "    r = await client.get('/', params={'q': 1})\n"
            "    assert r.status_code == 200 and json_or_none(r) == {}\n\n\n"
            "@pytest.fixture\ndef anyio_backend():\n    return \"asyncio\"\n",
            with_rules=("ASY701", "ASY707", "ASY702"),
        ),
    )

    def __init__(self, p: Pass) -> None:
        super().__init__(p)
        self._functions: list[tuple[frozenset[str], list[bool]]] = []
        self._clients = [0, 0]  # sync clients ASY701 made, and how many became async
        self._fixtures = 0  # client fixtures made async

    def leave_Module(self, original: cst.Module, updated: cst.Module) -> cst.Module:
        if self._clients[0] and self._clients[0] == self._clients[1]:
            # Every asgi_client became an AsyncClient: ASY701's import is not needed.
            self.p.imports[:] = [i for i in self.p.imports
                                 if i != ("asyncify.compat", "asgi_client")]
        defined = any(isinstance(s, cst.FunctionDef) and s.name.value == "anyio_backend"
                      for s in updated.body)
        if not self._fixtures or defined:
            return updated
        # anyio's plugin runs every backend it finds installed; Flask apps ran on one thread
        # and the migrated app is served by asyncio (uvicorn), so the suite runs on asyncio.
        self.p.need_import("pytest")
        backend = cst.parse_statement(
            '@pytest.fixture\ndef anyio_backend():\n    return "asyncio"\n')
        return updated.with_changes(body=[
            *updated.body, backend.with_changes(leading_lines=[cst.EmptyLine(), cst.EmptyLine()])])

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._functions.append((frozenset(p.name.value for p in node.params.params), [False]))

    def _flag(self) -> None:
        if self._functions:
            self._functions[-1][1][0] = True

    def _is_async_client(self, name: str) -> bool:
        if name in self.p.scratch.get(_ASYNC_NAMES, set()):
            return True
        return name in FIXTURE_NAMES and bool(self._functions) and (
            name in self._functions[-1][0])

    def leave_SimpleStatementLine(
        self, original: cst.SimpleStatementLine, updated: cst.SimpleStatementLine
    ) -> cst.BaseStatement:
        if len(updated.body) != 1 or not self._functions:
            return updated
        statement = updated.body[0]
        value: cst.BaseExpression | None = None
        if isinstance(statement, cst.Return):
            value = statement.value
        elif isinstance(statement, cst.Expr) and isinstance(statement.value, cst.Yield):
            yielded = statement.value.value
            value = yielded if isinstance(yielded, cst.BaseExpression) else None
        if value is None or not _is_sync_client(value):
            return updated
        assert isinstance(value, cst.Call)
        self._clients[1] += 1
        self._fixtures += 1
        self._flag()
        self.p.need_import("httpx")
        self.p.changed(self.id)
        name = cst.Name("client")
        body = cst.IndentedBlock([cst.SimpleStatementLine([cst.Expr(cst.Yield(name))])])
        return cst.With(
            [cst.WithItem(_async_client(value), asname=cst.AsName(name))], body,
            asynchronous=cst.Asynchronous(), leading_lines=updated.leading_lines)

    def visit_With(self, node: cst.With) -> None:
        for item in node.items:
            call = item.item
            if (isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute)
                    and call.func.attr.value == "test_client" and not call.args
                    and item.asname is not None and isinstance(item.asname.name, cst.Name)):
                self.p.scratch.setdefault(_ASYNC_NAMES, set()).add(item.asname.name.value)

    def leave_With(self, original: cst.With, updated: cst.With) -> cst.With:
        items = list(updated.items)
        if not any(_is_sync_client(i.item) for i in items):
            return updated
        self._clients[1] += sum(1 for i in items if _is_sync_client(i.item))
        self._flag()
        self.p.need_import("httpx")
        self.p.changed(self.id)
        items = [i.with_changes(item=_async_client(i.item)) if isinstance(i.item, cst.Call)
                 and _is_sync_client(i.item) else i for i in items]
        return updated.with_changes(items=items, asynchronous=cst.Asynchronous())

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        if (isinstance(original.func, cst.Attribute) and original.func.attr.value == "test_client"
                and _is_sync_client(updated)):
            self._clients[0] += 1
            return updated
        if id(original) not in self.p.scratch.get(CONVERTED, set()):
            return updated
        func = original.func
        if not (isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name)
                and self._is_async_client(func.value.value)):
            return updated
        if isinstance(self.p.parent(), cst.Await):
            return updated  # converted on an earlier run
        self._flag()
        self.p.changed(self.id)
        return self.p.awaited(original, updated)

    def leave_FunctionDef(
        self, original: cst.FunctionDef, updated: cst.FunctionDef
    ) -> cst.FunctionDef:
        _, flagged = self._functions.pop()
        if not flagged[0] or updated.asynchronous is not None:
            return updated
        fixture = any("pytest.fixture" in self.p.qualified(
            d.decorator.func if isinstance(d.decorator, cst.Call) else d.decorator)
            for d in original.decorators)
        decorators = list(updated.decorators)
        if original.name.value.startswith("test") and not fixture:
            self.p.need_import("pytest")
            mark = cst.Attribute(cst.Attribute(cst.Name("pytest"), cst.Name("mark")),
                                 cst.Name("anyio"))
            decorators.insert(0, cst.Decorator(mark))
        elif not fixture:
            self.p.todo(self.id, original, f"{original.name.value} now awaits the async "
                        "client, so it is async def: await it where it is called")
        return updated.with_changes(asynchronous=cst.Asynchronous(), decorators=decorators)
