"""ASY701: Flask's test client → a sync httpx client over the migrated ASGI app.

``app.test_client()`` becomes ``asgi_client(app)`` (``asyncify.compat``): an ``httpx.Client``
sending to the ASGI app through ``httpx.ASGITransport`` on a worker thread's event loop, with
Flask's client's defaults (``http://localhost``, redirects not followed). Starlette's
``TestClient`` would do, but it follows redirects by default and this Starlette deprecates it
with httpx. ASY707 puts the migrated app in place of ``app``. Calls on the client keep their meaning: ``query_string=`` → ``params=``, a
``str``/``bytes`` ``data=`` → ``content=`` (a dict stays ``data=``: form-encoded in both),
``content_type=`` → a ``Content-Type`` header. Anything else Flask-only gets a TODO.

Which names hold a client: names assigned from ``.test_client()`` in the file, parameters
named like the usual fixture (``client``), and ``self.client`` in the Flask-Testing classes
ASY709 rewrites, in files that do not already use httpx, Starlette or FastAPI (those are
migrated, or were never Flask tests).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import libcst as cst

from .._rule import Example, Rule, register
from ._common import (
    CLIENT_NAMES,
    CONVERTED,
    RESPONSES,
    SELF_CLIENT,
    VERBS,
    is_mapping,
    is_self_client,
    is_str_or_bytes,
    kw,
)

if TYPE_CHECKING:
    from .._engine import Pass

FIXTURE_NAMES = frozenset({"client", "test_client", "flask_client", "app_client"})
FLASK_APPS = "testsuite.flask_apps"  # names bound to Flask(...) in the file itself
_ALREADY = frozenset({"httpx", "starlette", "fastapi"})  # and asyncify.compat: see below
_TODO_KWARGS = {
    "buffered": "Flask's buffered= has no httpx equivalent (the body is always read)",
    "environ_base": "WSGI environ_base= has no ASGI equivalent: set headers or the client's "
                    "base_url",
    "environ_overrides": "WSGI environ_overrides= has no ASGI equivalent",
    "base_url": "Flask's per-request base_url=: build the client with base_url= instead",
    "method": "client.open(method=...): use client.request(method, url, ...)",
}


@register
class TestClientCalls(Rule):
    __test__ = False  # not a pytest class
    id = "ASY701"
    title = ("Flask's app.test_client() and its get/post/put/patch/delete calls → a sync "
             "httpx client over the ASGI app (asgi_client), same requests (form, JSON, query, "
             "headers)")
    triggers = frozenset({"test_client", "client"})
    async_only = False
    examples: ClassVar[tuple[Example, ...]] = (
        Example(
            "import httpx\n\ndef test_home(client):\n    assert client.get('/').status_code == 200\n",
            "import httpx\n\ndef test_home(client):\n    assert client.get('/').status_code == 200\n",
            why="the file already uses httpx: its client is not Flask's",
        ),
        Example(
            "def test_add(calc):\n    assert calc.get('x', 1) == 1\n",
            "def test_add(calc):\n    assert calc.get('x', 1) == 1\n",
            why="no test client: `calc` is neither made by test_client() nor a client fixture",
        ),
        Example(
            "from shop import create_app\n\ndef test_search():\n"
            "    client = create_app().test_client()\n"
            "    r = client.get('/search', query_string={'q': 'x'}, headers={'X-Id': '1'})\n"
            "    assert r.status_code == 200\n",
            "from shop import create_app\nfrom asyncify.compat import asgi_client\n\n"
            "def test_search():\n"
            "    client = asgi_client(create_app())\n"
            "    r = client.get('/search', params={'q': 'x'}, headers={'X-Id': '1'})\n"
            "    assert r.status_code == 200\n",
        ),
        Example(
            "def test_post(client):\n"
            "    client.post('/form', data={'a': '1'})\n"
            "    client.post('/raw', data='a,b', content_type='text/csv')\n"
            "    client.put('/j', json={'a': 1}, headers={'X': '1'}, content_type='application/json')\n",
            "def test_post(client):\n"
            "    client.post('/form', data={'a': '1'})\n"
            "    client.post('/raw', content='a,b', headers={'Content-Type': 'text/csv'})\n"
            "    client.put('/j', json={'a': 1}, headers={'X': '1', 'Content-Type': "
            "'application/json'})\n",
        ),
        Example(
            "def test_upload(client, payload):\n    client.post('/up', data=payload)\n",
            "def test_upload(client, payload):\n"
            "    # TODO[asyncify ASY701]: data= of unknown type: a dict is form-encoded (keep "
            "data=), str/bytes must become content= — "
            "https://asyncify.readthedocs.io/en/latest/rules/#asy701\n"
            "    client.post('/up', data=payload)\n",
        ),
    )

    def __init__(self, p: Pass) -> None:
        super().__init__(p)
        self._params: list[frozenset[str]] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._params.append(frozenset(p.name.value for p in node.params.params))

    def leave_FunctionDef(
        self, original: cst.FunctionDef, updated: cst.FunctionDef
    ) -> cst.FunctionDef:
        self._params.pop()
        return updated

    @classmethod
    def applies_to(cls, source: bytes, imported: set[str]) -> bool:
        if imported & _ALREADY or b"asgi_client" in source:
            return False
        return super().applies_to(source, imported)

    def visit_Assign(self, node: cst.Assign) -> None:
        value = node.value
        if isinstance(value, cst.Call) and "flask.Flask" in self.p.qualified(value.func):
            for target in node.targets:
                if isinstance(target.target, cst.Name):
                    self.p.scratch.setdefault(FLASK_APPS, set()).add(target.target.value)

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        func = original.func
        if not isinstance(func, cst.Attribute):
            return updated
        if func.attr.value == "test_client":
            return self._client(original, updated)
        receiver = func.value
        if isinstance(receiver, cst.Name):
            if not self._is_client(receiver.value):
                return updated
        elif not (self.p.scratch.get(SELF_CLIENT) and is_self_client(receiver)):
            return updated  # ``self.client`` only in a Flask-Testing class ASY709 rewrites
        verb = func.attr.value
        if verb not in (*VERBS, "open"):
            return updated
        self.p.scratch.setdefault(CONVERTED, set()).add(id(original))
        parent = self.p.parent()
        if (isinstance(parent, cst.Assign) and parent.value is original
                and len(parent.targets) == 1 and isinstance(parent.targets[0].target, cst.Name)):
            self.p.scratch.setdefault(RESPONSES, set()).add(
                (self.p.qualname(), parent.targets[0].target.value))
        return self._arguments(original, updated, verb)

    def _is_client(self, name: str) -> bool:
        if name in self.p.scratch.get(CLIENT_NAMES, set()):
            return True
        # A client fixture: a parameter of the function using it, named like one.
        return name in FIXTURE_NAMES and bool(self._params) and name in self._params[-1]

    def _client(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        assert isinstance(original.func, cst.Attribute)
        app = original.func.value
        if (isinstance(app, cst.Name) and app.value in self.p.scratch.get(FLASK_APPS, set())) or (
                isinstance(app, cst.Call) and "flask.Flask" in self.p.qualified(app.func)):
            self.p.todo(self.id, original, "this Flask app is built in the test itself: there "
                        "is no migrated app to test; test the app your factory builds")
            return updated
        if original.args:
            self.p.todo(self.id, original, "test_client() arguments (a custom client class, "
                        "use_cookies=) have no TestClient equivalent")
            return updated
        parent = self.p.parent()
        names = self.p.scratch.setdefault(CLIENT_NAMES, set())
        if isinstance(parent, cst.Assign):
            names.update(t.target.value for t in parent.targets if isinstance(t.target, cst.Name))
        self.p.need_import("asyncify.compat", "asgi_client")
        self.p.changed(self.id)
        assert isinstance(updated.func, cst.Attribute)
        return cst.Call(cst.Name("asgi_client"), [cst.Arg(updated.func.value)])

    def visit_WithItem(self, node: cst.WithItem) -> None:
        item = node.item
        if (isinstance(item, cst.Call) and isinstance(item.func, cst.Attribute)
                and item.func.attr.value == "test_client" and node.asname is not None
                and isinstance(node.asname.name, cst.Name)):
            self.p.scratch.setdefault(CLIENT_NAMES, set()).add(node.asname.name.value)

    def _arguments(self, original: cst.Call, updated: cst.Call, verb: str) -> cst.Call:
        if verb == "open":
            self.p.todo(self.id, original, _TODO_KWARGS["method"])
            return updated
        args = list(updated.args)
        content_type: cst.BaseExpression | None = None
        out: list[cst.Arg] = []
        changed = False
        for arg in args:
            name = arg.keyword.value if arg.keyword is not None else None
            if name in _TODO_KWARGS:
                self.p.todo(self.id, original, _TODO_KWARGS[name])
                return updated
            if name == "query_string":
                out.append(arg.with_changes(keyword=cst.Name("params")))
                changed = True
            elif name == "data" and is_str_or_bytes(arg.value):
                out.append(arg.with_changes(keyword=cst.Name("content")))
                changed = True
            elif name == "data" and not is_mapping(arg.value):
                self.p.todo(self.id, original, "data= of unknown type: a dict is form-encoded "
                            "(keep data=), str/bytes must become content=")
                return updated
            elif name == "content_type":
                content_type = arg.value
                changed = True
            else:
                out.append(arg)
        if content_type is not None:
            out = _with_content_type(out, content_type)
        if not changed:
            return updated
        self.p.changed(self.id)
        if out:
            out[-1] = out[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        return updated.with_changes(args=out)


def _with_content_type(args: list[cst.Arg], value: cst.BaseExpression) -> list[cst.Arg]:
    entry = cst.DictElement(cst.SimpleString("'Content-Type'"), value)
    for index, arg in enumerate(args):
        if arg.keyword is not None and arg.keyword.value == "headers":
            if isinstance(arg.value, cst.Dict):
                elements = list(arg.value.elements)
                if elements:
                    elements[-1] = elements[-1].with_changes(
                        comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
                merged = arg.value.with_changes(elements=[*elements, entry])
            else:
                merged = cst.Dict([cst.StarredDictElement(
                    arg.value, comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))),
                    entry])
            args[index] = arg.with_changes(value=merged)
            return args
    if args:
        args[-1] = args[-1].with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
    return [*args, kw("headers", cst.Dict([entry]))]
