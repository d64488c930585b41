"""ASY703: the ``responses`` library → respx routes on ``asyncify.compat.http_mock``.

``@responses.activate`` → ``@http_mock``; ``responses.add(GET, url, json=..., status=...)``
and ``responses.get(url, ...)`` → ``http_mock.get(url).respond(status_code=..., json=...)``;
``with responses.RequestsMock() as rsps`` → ``with http_mock(assert_all_called=True) as
rsps`` (RequestsMock asserts every route was called by default, ``activate`` does not).
``body=`` keeps responses' default ``text/plain`` content type; an exception body becomes
the httpx error (``side_effect=``). ``http_mock`` answers requests' calls too, so endpoints
not migrated yet keep their mocks. Matchers, callbacks, ``calls[...]`` get TODOs.
"""

from __future__ import annotations

from typing import ClassVar

import libcst as cst

from .._rule import Example, Rule, dotted, register
from ._common import MOCK, VERBS, is_str_or_bytes, keywords, kw, positional
from ._routes import Mocked, build

_KEYWORDS = {"json": "json", "content_type": "content_type", "headers": "headers",
             "adding_headers": "headers"}
_SAME = ("start", "stop", "reset")
MOCKERS = "testsuite.requests_mocks"  # names bound by ``with responses.RequestsMock() as``


@register
class ResponsesMocks(Rule):
    id = "ASY703"
    title = ("`responses` mocks of requests (activate, add, get/post…, RequestsMock) → respx "
             "routes on asyncify.compat.http_mock, same routes, bodies and statuses")
    gate = frozenset({"responses"})
    triggers = frozenset({"responses"})
    async_only = False
    examples: ClassVar[tuple[Example, ...]] = (
        Example(
            "from app import responses\n\ndef test_codes():\n    assert responses.OK == 200\n",
            "from app import responses\n\ndef test_codes():\n    assert responses.OK == 200\n",
            why="`responses` here is the project's own module, not the mocking library",
        ),
        Example(
            "import requests\nimport responses\n\n@responses.activate\ndef test_rates():\n"
            "    responses.add(responses.GET, 'http://fx/rates', json={'EUR': 1}, status=200)\n"
            "    responses.post('http://fx/orders', body='queued', status=202)\n"
            "    responses.get('http://fx/down', body=requests.exceptions.ConnectTimeout())\n"
            "    assert fetch_rates() == {'EUR': 1}\n    assert len(responses.calls) == 3\n",
            "import requests\nimport responses\nimport httpx\n"
            "from asyncify.compat import http_mock\n\n@http_mock\ndef test_rates():\n"
            "    http_mock.get('http://fx/rates').respond(status_code=200, json={'EUR': 1})\n"
            "    http_mock.post('http://fx/orders').respond(status_code=202, content='queued', "
            "content_type='text/plain')\n"
            "    http_mock.get('http://fx/down').mock(side_effect=httpx.ConnectTimeout)\n"
            "    assert fetch_rates() == {'EUR': 1}\n    assert len(http_mock.calls) == 3\n",
        ),
        Example(
            "import responses\n\ndef test_order():\n"
            "    with responses.RequestsMock() as rsps:\n"
            "        rsps.add('POST', 'http://shop/orders', json={'ok': True}, status=201)\n"
            "        rsps.add_callback('GET', 'http://shop/x', callback=answer)\n"
            "        assert place_order() == {'ok': True}\n",
            "import responses\nfrom asyncify.compat import http_mock\n\ndef test_order():\n"
            "    with http_mock(assert_all_called=True) as rsps:\n"
            "        rsps.post('http://shop/orders').respond(status_code=201, json={'ok': True})\n"
            "        # TODO[asyncify ASY703]: responses.add_callback: write a respx side_effect "
            "(it gets an httpx.Request) — https://asyncify.readthedocs.io/en/latest/rules/#asy703\n"
            "        rsps.add_callback('GET', 'http://shop/x', callback=answer)\n"
            "        assert place_order() == {'ok': True}\n",
        ),
    )

    def _is_library(self, node: cst.BaseExpression) -> bool:
        return "responses" in self.p.qualified(node)

    def _receiver(self, node: cst.BaseExpression) -> cst.BaseExpression | None:
        if self._is_library(node):
            return cst.Name(MOCK)
        if isinstance(node, cst.Name) and node.value in self.p.scratch.get(MOCKERS, set()):
            return node
        return None

    def visit_WithItem(self, node: cst.WithItem) -> None:
        if (isinstance(node.item, cst.Call) and "responses.RequestsMock"
                in self.p.qualified(node.item.func) and node.asname is not None
                and isinstance(node.asname.name, cst.Name)):
            self.p.scratch.setdefault(MOCKERS, set()).add(node.asname.name.value)

    def leave_Decorator(self, original: cst.Decorator, updated: cst.Decorator) -> cst.Decorator:
        if "responses.activate" in self.p.qualified(original.decorator):
            self.p.need_import("asyncify.compat", MOCK)
            self.p.changed(self.id)
            return updated.with_changes(decorator=cst.Name(MOCK))
        return updated

    def leave_Attribute(
        self, original: cst.Attribute, updated: cst.Attribute
    ) -> cst.BaseExpression:
        if original.attr.value == "calls" and self._receiver(original.value) is not None:
            parent = self.p.parent()
            if (isinstance(parent, cst.Arg) and isinstance(self.p.ancestor(2), cst.Call)
                    and self.p.qualified(self.p.ancestor(2).func) == {"builtins.len"}):  # type: ignore[union-attr]
                self.p.changed(self.id)
                self.p.need_import("asyncify.compat", MOCK)
                receiver = self._receiver(original.value)
                assert receiver is not None
                return updated.with_changes(value=receiver)
            self.p.todo(self.id, original, "responses.calls holds requests' objects; respx's "
                        "http_mock.calls holds httpx.Request/Response (request.content, not .body)")
        return updated

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        func = original.func
        if "responses.RequestsMock" in self.p.qualified(func):
            fired = keywords(original).get("assert_all_requests_are_fired")
            value = fired.value if fired is not None else cst.Name("True")
            if set(keywords(original)) - {"assert_all_requests_are_fired"}:
                self.p.todo(self.id, original, "RequestsMock options other than "
                            "assert_all_requests_are_fired have no http_mock equivalent")
                return updated
            self.p.need_import("asyncify.compat", MOCK)
            self.p.changed(self.id)
            return cst.Call(cst.Name(MOCK), [kw("assert_all_called", value)])
        if "responses.activate" in self.p.qualified(func):
            self.p.todo(self.id, original, "responses.activate(...) options (registry=, "
                        "assert_all_requests_are_fired=): use http_mock(...) by hand")
            return updated
        if not isinstance(func, cst.Attribute):
            return updated
        receiver = self._receiver(func.value)
        if receiver is None:
            return updated
        name = func.attr.value
        if name in _SAME:
            self.p.need_import("asyncify.compat", MOCK)
            self.p.changed(self.id)
            return updated.with_changes(func=cst.Attribute(receiver, cst.Name(name)))
        if name not in ("add", *VERBS):
            if name in ("add_callback", "replace", "upsert", "remove", "assert_call_count"):
                self.p.todo(self.id, original, f"responses.{name}: write a respx side_effect "
                            "(it gets an httpx.Request)" if name == "add_callback" else
                            f"responses.{name} has no direct respx twin: edit the route")
            return updated
        return self._route(original, updated, receiver, name)

    def _route(self, original: cst.Call, updated: cst.Call, receiver: cst.BaseExpression,
               name: str) -> cst.BaseExpression:
        named = keywords(updated)
        given = positional(updated)
        mocked = Mocked()
        if name == "add":
            method = given[0].value if given else (named["method"].value
                                                   if "method" in named else None)
            if method is None or isinstance(method, cst.Call):
                self.p.todo(self.id, original, "responses.add with a Response object: "
                            "register its method, URL and body with http_mock by hand")
                return updated
            mocked.method = method
            urls = given[1:2]
        else:
            mocked.method = cst.SimpleString(repr(name.upper()))
            urls = given[:1]
        mocked.url = urls[0].value if urls else (named["url"].value if "url" in named else None)
        if "status" in named:
            mocked.status = named["status"].value
        for key, arg in named.items():
            if key in ("method", "url", "status"):
                continue
            if key == "body":
                if isinstance(arg.value, cst.Call | cst.Name | cst.Attribute) and not (
                        is_str_or_bytes(arg.value)) and _looks_like_exception(arg.value):
                    mocked.raises = arg.value
                    continue
                mocked.body.append(("content", arg.value))
            elif key in _KEYWORDS:
                mocked.body.append((_KEYWORDS[key], arg.value))
            else:
                self.p.todo(self.id, original, f"responses {key}= (matchers, streaming, "
                            "callbacks) has no direct respx translation")
                return updated
        if any(k == "content" for k, _ in mocked.body) and not any(
                k in ("content_type", "json") for k, _ in mocked.body):
            mocked.body.append(("content_type", cst.SimpleString("'text/plain'")))
        built = build(receiver, mocked)
        if isinstance(built, str):
            self.p.todo(self.id, original, built)
            return updated
        if mocked.raises is not None:
            self.p.need_import("httpx")
        if isinstance(receiver, cst.Name) and receiver.value == MOCK:
            self.p.need_import("asyncify.compat", MOCK)
        self.p.changed(self.id)
        return built


def _looks_like_exception(node: cst.BaseExpression) -> bool:
    target = node.func if isinstance(node, cst.Call) else node
    name = (dotted(target) or "").rpartition(".")[2]
    return name.endswith(("Error", "Timeout", "Exception", "Redirects"))
