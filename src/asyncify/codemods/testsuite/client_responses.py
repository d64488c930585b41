"""ASY702: what tests read from a Flask test response → the same from an httpx response.

Only on responses of client calls ASY701 converted: the call itself, a name assigned only
from one in the same function, a call of a module-level helper returning one, or a helper's
parameter that every call in the file gives one (ASY701 works these out). ``get_json()`` and ``.json`` return ``None`` on a non-JSON
body in Flask, while httpx's ``json()`` parses anything: they become
``json_or_none(response)``. ``.data``/``get_data()`` are bytes (``.content``),
``get_data(as_text=True)`` is ``.text``; ``mimetype``/``is_json`` get helpers, ``location``
and ``content_type`` read the header. ``status_code``, ``headers`` and ``text`` mean the same.
"""

from __future__ import annotations

from typing import ClassVar

import libcst as cst

from .._rule import Example, Rule, register
from ._common import CONVERTED, RESPONSES, keywords, string

_HEADER = {"location": "location", "content_type": "content-type"}
_HELPER = {"mimetype": "mimetype", "is_json": "is_json", "json": "json_or_none"}
_TODO = {
    "status": "Werkzeug's status string ('200 OK'): use status_code (and reason_phrase)",
    "history": "redirect history: httpx's response.history holds httpx responses",
    "request": "Werkzeug's request object: httpx's response.request is an httpx.Request",
}


@register
class ClientResponses(Rule):
    id = "ASY702"
    title = ("Flask test responses read by tests (get_json(), .json, .data, get_data(), "
             ".mimetype, .location) → the same values from the httpx response")
    triggers = frozenset({"test_client", "client"})
    async_only = False
    examples: ClassVar[tuple[Example, ...]] = (
        Example(
            "def test_total(order):\n    assert order.data['total'] == 3\n",
            "def test_total(order):\n    assert order.data['total'] == 3\n",
            why="`order` is not a response of a converted client call",
        ),
        Example(
            "import pytest\n\ndef test_item(client):\n    r = client.get('/item/1')\n"
            "    assert r.status_code == 200 and r.get_json()['id'] == 1\n"
            "    assert r.json == r.get_json()\n"
            "    assert r.data == b'{}' and r.get_data(as_text=True) == '{}'\n"
            "    assert r.mimetype == 'application/json' and r.location is None\n",
            "import pytest\nfrom asyncify.compat import json_or_none, mimetype\n\n"
            "def test_item(client):\n    r = client.get('/item/1')\n"
            "    assert r.status_code == 200 and json_or_none(r)['id'] == 1\n"
            "    assert json_or_none(r) == json_or_none(r)\n"
            "    assert r.content == b'{}' and r.text == '{}'\n"
            "    assert mimetype(r) == 'application/json' and r.headers.get('location') "
            "is None\n",
            with_rules=("ASY701",),
        ),
        Example(
            "def test_health(client):\n    assert client.get('/h').get_json(force=True) == {}\n"
            "    assert client.get('/h').status == '200 OK'\n",
            "def test_health(client):\n    assert client.get('/h').json() == {}\n"
            "    # TODO[asyncify ASY702]: Werkzeug's status string ('200 OK'): use status_code "
            "(and reason_phrase) — https://asyncify.readthedocs.io/en/latest/rules/#asy702\n"
            "    assert client.get('/h').status == '200 OK'\n",
            with_rules=("ASY701",),
        ),
    )

    def _is_response(self, node: cst.BaseExpression) -> bool:
        if isinstance(node, cst.Name):
            return (self.p.qualname(), node.value) in self.p.scratch.get(RESPONSES, set())
        return id(node) in self.p.scratch.get(CONVERTED, set())

    def leave_Attribute(
        self, original: cst.Attribute, updated: cst.Attribute
    ) -> cst.BaseExpression:
        if not self._is_response(original.value):
            return updated
        attr = original.attr.value
        parent = self.p.parent()
        if isinstance(parent, cst.Call) and parent.func is original:
            return updated  # a method call: leave_Call decides
        if attr in ("data",):
            self.p.changed(self.id)
            return updated.with_changes(attr=cst.Name("content"))
        if attr in _HEADER:
            self.p.changed(self.id)
            headers = cst.Attribute(updated.value, cst.Name("headers"))
            return cst.Call(cst.Attribute(headers, cst.Name("get")),
                            [cst.Arg(string(_HEADER[attr]))])
        if attr in _HELPER:
            self.p.changed(self.id)
            self.p.need_import("asyncify.compat", _HELPER[attr])
            return cst.Call(cst.Name(_HELPER[attr]), [cst.Arg(updated.value)])
        if attr in _TODO:
            self.p.todo(self.id, original, _TODO[attr])
        return updated

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        func = original.func
        if not isinstance(func, cst.Attribute) or not self._is_response(func.value):
            return updated
        assert isinstance(updated.func, cst.Attribute)
        value = updated.func.value
        attr = func.attr.value
        named = keywords(original)
        if attr == "get_json":
            if "silent" in named:
                self.p.todo(self.id, original, "get_json(silent=True) returns None on invalid "
                            "JSON: catch ValueError around response.json()")
                return updated
            self.p.changed(self.id)
            if "force" in named:
                return cst.Call(cst.Attribute(value, cst.Name("json")), [])
            self.p.need_import("asyncify.compat", "json_or_none")
            return cst.Call(cst.Name("json_or_none"), [cst.Arg(value)])
        if attr == "get_data":
            as_text = named.get("as_text")
            if as_text is not None and not (
                    isinstance(as_text.value, cst.Name) and as_text.value.value in ("True", "False")):
                self.p.todo(self.id, original, "get_data(as_text=...) with a computed flag")
                return updated
            text = as_text is not None and isinstance(as_text.value, cst.Name) and (
                as_text.value.value == "True")
            self.p.changed(self.id)
            return cst.Attribute(value, cst.Name("text" if text else "content"))
        return updated

