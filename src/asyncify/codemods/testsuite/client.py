"""ASY701: Flask's test client → a sync httpx client over the migrated ASGI app.

``app.test_client()`` becomes ``asgi_client(app)`` (``asyncify.compat``): an ``httpx.Client``
sending to the ASGI app through ``httpx.ASGITransport`` on a worker thread's event loop, with
Flask's client's defaults (``http://localhost``, redirects not followed). Starlette's
``TestClient`` would do, but it follows redirects by default and this Starlette deprecates it
with httpx. ASY707 puts the migrated app in place of ``app``. Calls on the client keep their meaning: ``query_string=`` → ``params=``, a
``str``/``bytes`` ``data=`` → ``content=`` (a dict stays ``data=``: form-encoded in both),
``content_type=`` → a ``Content-Type`` header (merged into ``headers=``). ``data=`` is a
str/bytes body when it is a literal, ``json.dumps(...)``, ``str()``/``bytes()``,
``.encode()``/``.decode()``, a local name only assigned such values, or when the call declares
it JSON (``content_type='application/json'``: Werkzeug would send a dict form-encoded under a
JSON Content-Type, which no JSON endpoint reads); otherwise its type is unknown and the call
gets a TODO. httpx's ``get()``/``delete()``/``head()``/``options()`` take no body: with one,
the call becomes ``client.request('GET', ...)``. Anything else Flask-only (Werkzeug's
EnvironBuilder keywords, positional arguments after the URL, ``**kwargs``) gets a TODO.

Which names hold a client: names assigned from ``.test_client()`` in the file, parameters
named like the usual fixture (``client``), ``self.<attr>``/``cls.<attr>`` a class assigns only
from ``.test_client()`` (``self.test_client = app.test_client()`` in ``setUp``; an attribute
also assigned something else gets a TODO at its calls), and ``self.client`` in the
Flask-Testing classes ASY709 rewrites, in files that do not already use httpx, Starlette or
FastAPI (those are migrated, or were never Flask tests). Responses are tracked through
module-level helpers too (``_clients``): one returning a client call's response, and one
whose parameter every call in the file gives a response (``def json_reply(r): return
json.loads(r.data)``) — ASY702 rewrites their reads; a helper reading a parameter as a Flask
response that some call gives something else gets a TODO.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import libcst as cst

from .._rule import Example, Rule, register
from ._clients import Survey, survey
from ._common import (
    CLIENT_NAMES,
    CONVERTED,
    FIXTURE_NAMES,
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
            "import json\nimport unittest\nfrom shop import app\n\n"
            "def json_reply(response):\n    return json.loads(response.data)\n\n"
            "class TestSignup(unittest.TestCase):\n    def setUp(self):\n"
            "        self.test_client = app.test_client()\n\n    def test_signup(self):\n"
            "        r = self.test_client.post('/signup', data=json.dumps({'name': 'jon'}),\n"
            "                                  content_type='application/json')\n"
            "        assert json_reply(r) == {'id': 1}\n",
            "import json\nimport unittest\nfrom shop import app\n"
            "from asyncify.compat import asgi_client\n\n"
            "def json_reply(response):\n    return json.loads(response.content)\n\n"
            "class TestSignup(unittest.TestCase):\n    def setUp(self):\n"
            "        self.test_client = asgi_client(app)\n\n    def test_signup(self):\n"
            "        r = self.test_client.post('/signup', content=json.dumps({'name': 'jon'}), "
            "headers={'Content-Type': 'application/json'})\n"
            "        assert json_reply(r) == {'id': 1}\n",
            with_rules=("ASY702",),
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
        self._strings: list[frozenset[str]] = []  # names holding str/bytes, per function
        self._classes: list[str] = []
        self._survey = Survey()

    def visit_Module(self, node: cst.Module) -> None:
        self._survey = survey(node)
        self.p.scratch.setdefault(RESPONSES, set()).update(self._survey.responses)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._classes.append(self.p.qualname())

    def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef) -> cst.ClassDef:
        self._classes.pop()
        return updated

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._params.append(frozenset(p.name.value for p in node.params.params))
        self._strings.append(_string_names(self.p, node))
        why = self._survey.todos.get(id(node))
        if why is not None:
            self.p.todo(self.id, node, why)

    def leave_FunctionDef(
        self, original: cst.FunctionDef, updated: cst.FunctionDef
    ) -> cst.FunctionDef:
        self._params.pop()
        self._strings.pop()
        return updated

    @classmethod
    def applies_to(cls, source: bytes, imported: set[str]) -> bool:
        if imported & _ALREADY or b"asgi_client" in source:
            return False
        return super().applies_to(source, imported)

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        func = original.func
        if isinstance(func, cst.Name) and func.value in self._survey.returning:
            # A helper returning a converted client call's response (ASY702 reads it).
            self.p.scratch.setdefault(CONVERTED, set()).add(id(original))
        if not isinstance(func, cst.Attribute):
            return updated
        if func.attr.value == "test_client":
            return self._client(original, updated)
        receiver = func.value
        if isinstance(receiver, cst.Name):
            if not self._is_client(receiver.value):
                return updated
        elif not ((self.p.scratch.get(SELF_CLIENT) and is_self_client(receiver))
                  or self._is_self_client(receiver)):
            if self._is_self_client(receiver, self._survey.mixed) and func.attr.value in VERBS:
                assert isinstance(receiver, cst.Attribute)
                self.p.todo(self.id, original, f"self.{receiver.attr.value} is assigned a test "
                            "client and something else: calls on it are left as Flask's; "
                            "convert them by hand where it holds the client")
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

    def _is_self_client(self, node: cst.BaseExpression,
                        known: set[tuple[str, str]] | None = None) -> bool:
        """``self.<attr>``/``cls.<attr>`` the class assigns only from ``test_client()`` (or
        one of ``known``)."""
        return (isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name)
                and node.value.value in ("self", "cls") and bool(self._classes)
                and (self._classes[-1], node.attr.value) in (
                    self._survey.self_clients if known is None else known))

    def _client(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        assert isinstance(original.func, cst.Attribute)
        app = original.func.value
        if self._survey.built_here(app):
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
        if (self._survey.converts(node.item) and node.asname is not None
                and isinstance(node.asname.name, cst.Name)):
            self.p.scratch.setdefault(CLIENT_NAMES, set()).add(node.asname.name.value)

    def _arguments(self, original: cst.Call, updated: cst.Call, verb: str) -> cst.Call:
        if verb == "open":
            self.p.todo(self.id, original, _TODO_KWARGS["method"])
            return updated
        args = list(updated.args)
        content_type: cst.BaseExpression | None = None
        for arg in args:
            if arg.keyword is not None and arg.keyword.value == "content_type":
                content_type = arg.value
        out: list[cst.Arg] = []
        changed = False
        for index, arg in enumerate(args):
            name = arg.keyword.value if arg.keyword is not None else None
            if arg.star:
                self.p.todo(self.id, original, "arguments passed with * or **: Werkzeug's "
                            "keywords (query_string=, content_type=, data= as a body) differ "
                            "from httpx's; spell them out")
                return updated
            if name is None and index > 0:
                self.p.todo(self.id, original, "positional arguments after the URL are "
                            "Werkzeug's EnvironBuilder's (base_url, query_string, method, ...): "
                            "pass them by keyword")
                return updated
            if name in _TODO_KWARGS:
                self.p.todo(self.id, original, _TODO_KWARGS[name])
                return updated
            if name is not None and name not in _SAME_KWARGS and name not in (
                    "query_string", "data", "content_type"):
                self.p.todo(self.id, original, f"Werkzeug's {name}= has no httpx request "
                            "equivalent")
                return updated
            if name == "query_string":
                out.append(arg.with_changes(keyword=cst.Name("params")))
                changed = True
            elif name == "data" and self._is_body(arg.value, content_type):
                out.append(arg.with_changes(keyword=cst.Name("content")))
                changed = True
            elif name == "data" and not is_mapping(arg.value):
                self.p.todo(self.id, original, "data= of unknown type: a dict is form-encoded "
                            "(keep data=), str/bytes must become content=")
                return updated
            elif name == "content_type":
                changed = True
            else:
                out.append(arg)
        if content_type is not None:
            out = _with_content_type(out, content_type)
        if verb in _NO_BODY and any(a.keyword is not None and a.keyword.value in _BODY
                                    for a in out):
            # httpx's get()/delete()/head()/options() take no body; request() does.
            assert isinstance(updated.func, cst.Attribute)
            method = cst.Arg(cst.SimpleString(repr(verb.upper())),
                             comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
            self.p.changed(self.id)
            if out:
                out[-1] = out[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
            return updated.with_changes(
                func=updated.func.with_changes(attr=cst.Name("request")), args=[method, *out])
        if not changed:
            return updated
        self.p.changed(self.id)
        if out:
            out[-1] = out[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        return updated.with_changes(args=out)

    def _is_body(self, value: cst.BaseExpression,
                 content_type: cst.BaseExpression | None) -> bool:
        """Whether ``data=value`` is a raw body (str/bytes) rather than form fields: its
        type is known to be str/bytes, or it is declared JSON (a dict sent as JSON would be
        form-encoded by Werkzeug under a JSON Content-Type, which no JSON endpoint reads)."""
        if _is_text(self.p, value, self._strings[-1] if self._strings else frozenset()):
            return True
        if is_mapping(value) or content_type is None:
            return False
        declared = _literal(content_type)
        if declared is None:
            return False
        media = declared.partition(";")[0].strip().lower()
        return media == "application/json" or media.endswith("+json")


# Keywords that mean the same in both, and httpx's own (a call using them was converted).
_SAME_KWARGS = frozenset({"headers", "json", "auth", "follow_redirects", "content", "params",
                          "files", "cookies", "timeout", "extensions"})
_NO_BODY = frozenset({"get", "delete", "head", "options"})
_BODY = frozenset({"content", "data", "json", "files"})
_TEXT_CALLS = frozenset({"json.dumps", "builtins.str", "builtins.bytes", "builtins.repr"})
_TEXT_METHODS = frozenset({"encode", "decode", "format", "join", "strip", "lower", "upper",
                           "replace"})


def _literal(node: cst.BaseExpression) -> str | None:
    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    return None


def _is_text(p: Pass, node: cst.BaseExpression, names: frozenset[str]) -> bool:
    """Whether ``node`` is certainly a str or bytes."""
    if is_str_or_bytes(node):
        return True
    if isinstance(node, cst.Name):
        return node.value in names
    if isinstance(node, cst.Call):
        if p.qualified(node.func) & _TEXT_CALLS:
            return True
        func = node.func
        return (isinstance(func, cst.Attribute) and func.attr.value in _TEXT_METHODS
                and (func.attr.value in ("encode", "decode")
                     or _is_text(p, func.value, names)))
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
        return _is_text(p, node.left, names) or _is_text(p, node.right, names)
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Modulo):
        return is_str_or_bytes(node.left)
    return False


def _string_names(p: Pass, node: cst.FunctionDef) -> frozenset[str]:
    """The function's local names assigned only str/bytes values (not its parameters)."""
    values: dict[str, list[cst.BaseExpression | None]] = {}

    class Assigned(cst.CSTVisitor):
        def visit_FunctionDef(self, inner: cst.FunctionDef) -> bool:
            return inner is node

        def visit_ClassDef(self, inner: cst.ClassDef) -> bool:
            return False

        def visit_Assign(self, assign: cst.Assign) -> None:
            for target in assign.targets:
                for name in _target_names(target.target):
                    values.setdefault(name, []).append(
                        assign.value if isinstance(target.target, cst.Name) else None)

        def visit_AnnAssign(self, assign: cst.AnnAssign) -> None:
            for name in _target_names(assign.target):
                values.setdefault(name, []).append(assign.value)

        def visit_AugAssign(self, assign: cst.AugAssign) -> None:
            for name in _target_names(assign.target):
                values.setdefault(name, []).append(None)

        def visit_For(self, loop: cst.For) -> None:
            for name in _target_names(loop.target):
                values.setdefault(name, []).append(None)

        def visit_AsName(self, alias: cst.AsName) -> None:
            for name in _target_names(alias.name):
                values.setdefault(name, []).append(None)

    node.visit(Assigned())
    params = {param.name.value for param in node.params.params}
    found: set[str] = set()
    for _ in range(3):  # names assigned from other such names
        found |= {name for name, assigned in values.items() if name not in params and all(
            v is not None and _is_text(p, v, frozenset(found)) for v in assigned)}
    return frozenset(found)


def _target_names(node: cst.BaseExpression) -> list[str]:
    if isinstance(node, cst.Name):
        return [node.value]
    if isinstance(node, cst.Tuple | cst.List):
        return [n for e in node.elements for n in _target_names(e.value)]
    if isinstance(node, cst.StarredElement):
        return _target_names(node.value)
    return []


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
