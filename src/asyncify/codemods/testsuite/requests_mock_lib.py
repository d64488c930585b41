"""ASY704: ``requests-mock`` → respx routes on ``asyncify.compat.http_mock``.

``with requests_mock.Mocker() as m`` → ``with http_mock(assert_all_called=False) as m``;
``@requests_mock.Mocker()`` (the mocker passed as the last argument) and the pytest fixture
``requests_mock`` → ``@http_mock`` with the parameter dropped and its uses renamed;
``m.get(url, json=..., status_code=...)`` / ``m.register_uri("GET", url, ...)`` →
``m.get(url).respond(status_code=..., json=...)``; ``exc=`` → the httpx error as
``side_effect``; ``called``/``call_count``/``last_request`` → respx's ``calls``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import libcst as cst

from .._rule import Example, Rule, register
from ._common import MOCK, MOCKERS, VERBS, keywords, kw, positional
from ._routes import Mocked, build

if TYPE_CHECKING:
    from .._engine import Pass

_BODY = {"json": "json", "text": "text", "content": "content", "headers": "headers"}
_CALLS = {"called": "called", "call_count": "call_count"}
_REQUEST_TODO = {"json", "text", "qs", "body", "query", "netloc", "hostname", "path"}
_FIXTURE = "requests_mock"


@register
class RequestsMockMocks(Rule):
    id = "ASY704"
    title = ("`requests-mock` mocks (Mocker context/decorator, the requests_mock fixture, "
             "m.get/register_uri) → respx routes on asyncify.compat.http_mock")
    triggers = frozenset({"requests_mock"})
    async_only = False
    examples: ClassVar[tuple[Example, ...]] = (
        Example(
            "import pytest\n\n@pytest.fixture\ndef upstream(requests_mock):\n"
            "    return requests_mock\n",
            "import pytest\n\n@pytest.fixture\ndef upstream(requests_mock):\n"
            "    return requests_mock\n",
            why="a fixture built on requests_mock: what its users do with it is not visible "
                "here",
        ),
        Example(
            "import requests_mock\n\ndef test_rates():\n"
            "    with requests_mock.Mocker() as m:\n"
            "        m.get('http://fx/rates', json={'EUR': 1}, status_code=200)\n"
            "        m.register_uri('POST', 'http://fx/o', text='ok', headers={'X': '1'})\n"
            "        assert fetch_rates() == {'EUR': 1}\n"
            "        assert m.called and m.call_count == 1\n",
            "import requests_mock\nfrom asyncify.compat import http_mock\n\ndef test_rates():\n"
            "    with http_mock(assert_all_called=False) as m:\n"
            "        m.get('http://fx/rates').respond(status_code=200, json={'EUR': 1})\n"
            "        m.post('http://fx/o').respond(text='ok', headers={'X': '1'})\n"
            "        assert fetch_rates() == {'EUR': 1}\n"
            "        assert m.calls.called and m.calls.call_count == 1\n",
        ),
        Example(
            "import requests\n\ndef test_down(client, requests_mock):\n"
            "    requests_mock.get('http://fx/rates', exc=requests.exceptions.ConnectTimeout)\n"
            "    assert client.get('/rates').status_code == 504\n"
            "    assert requests_mock.last_request.path == '/rates'\n",
            "import requests\nimport httpx\nfrom asyncify.compat import http_mock\n\n"
            "@http_mock\ndef test_down(client):\n"
            "    http_mock.get('http://fx/rates').mock(side_effect=httpx.ConnectTimeout)\n"
            "    assert client.get('/rates').status_code == 504\n"
            "    # TODO[asyncify ASY704]: requests-mock's last_request is a requests request; "
            "respx's is an httpx.Request (.url.path, .content, json.loads(.content)) — "
            "https://asyncify.readthedocs.io/en/latest/rules/#asy704\n"
            "    assert http_mock.calls.last.request.path == '/rates'\n",
        ),
    )

    def __init__(self, p: Pass) -> None:
        super().__init__(p)
        self._renames: list[str | None] = []

    # --- which names are mockers -------------------------------------------------------

    def _mocker_decorator(self, node: cst.FunctionDef) -> cst.Decorator | None:
        for decorator in node.decorators:
            target = decorator.decorator
            if (isinstance(target, cst.Call) and self._is_mocker_class(target.func)
                    and not target.args):
                return decorator
        return None

    def _is_mocker_class(self, node: cst.BaseExpression) -> bool:
        return bool({"requests_mock.Mocker", "requests_mock.mock"} & self.p.qualified(node))

    def _is_fixture(self, node: cst.FunctionDef) -> bool:
        return any(
            self.p.qualified(d.decorator.func if isinstance(d.decorator, cst.Call)
                             else d.decorator) & {"pytest.fixture"}
            for d in node.decorators)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        rename = None
        params = node.params.params
        if self._mocker_decorator(node) is not None and params:
            rename = params[-1].name.value
        elif any(p.name.value == _FIXTURE for p in params) and not self._is_fixture(node):
            rename = _FIXTURE
        self._renames.append(rename)

    def leave_FunctionDef(
        self, original: cst.FunctionDef, updated: cst.FunctionDef
    ) -> cst.FunctionDef:
        rename = self._renames.pop()
        if rename is None:
            return updated
        params = [p for p in updated.params.params if p.name.value != rename]
        if params:
            params[-1] = params[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        ours = cst.Decorator(cst.Name(MOCK))
        decorators = [d for d in updated.decorators
                      if not (isinstance(d.decorator, cst.Call)
                              and self._is_mocker_class(d.decorator.func)
                              and not d.decorator.args)]
        self.p.need_import("asyncify.compat", MOCK)
        self.p.changed(self.id)
        return updated.with_changes(decorators=[*decorators, ours],
                                    params=updated.params.with_changes(params=params))

    def leave_Name(self, original: cst.Name, updated: cst.Name) -> cst.BaseExpression:
        if not self._renames or self._renames[-1] != original.value:
            return updated
        parent = self.p.parent()
        if (isinstance(parent, cst.Param)
                or (isinstance(parent, cst.Attribute) and parent.attr is original)
                or (isinstance(parent, cst.Arg) and parent.keyword is original)):
            return updated
        return cst.Name(MOCK)

    def visit_WithItem(self, node: cst.WithItem) -> None:
        if (isinstance(node.item, cst.Call) and self._is_mocker_class(node.item.func)
                and node.asname is not None and isinstance(node.asname.name, cst.Name)):
            self.p.scratch.setdefault(MOCKERS, set()).add(node.asname.name.value)

    def _is_mocker(self, node: cst.BaseExpression) -> bool:
        if not isinstance(node, cst.Name):
            return False
        return (node.value in self.p.scratch.get(MOCKERS, set())
                or bool(self._renames and self._renames[-1] == node.value))

    # --- rewrites ----------------------------------------------------------------------

    def leave_Attribute(
        self, original: cst.Attribute, updated: cst.Attribute
    ) -> cst.BaseExpression:
        if not self._is_mocker(original.value):
            return updated
        attr = original.attr.value
        calls = cst.Attribute(updated.value, cst.Name("calls"))
        if attr in _CALLS:
            self.p.changed(self.id)
            return cst.Attribute(calls, cst.Name(_CALLS[attr]))
        if attr == "last_request":
            parent = self.p.parent()
            if isinstance(parent, cst.Attribute) and parent.attr.value in _REQUEST_TODO:
                self.p.todo(self.id, original, "requests-mock's last_request is a requests "
                            "request; respx's is an httpx.Request (.url.path, .content, "
                            "json.loads(.content))")
            self.p.changed(self.id)
            return cst.Attribute(cst.Attribute(calls, cst.Name("last")), cst.Name("request"))
        if attr == "request_history":
            self.p.todo(self.id, original, "request_history: use [c.request for c in "
                        "http_mock.calls] (httpx requests)")
        return updated

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        if self._is_mocker_class(original.func):
            if keywords(original) or positional(original):
                self.p.todo(self.id, original, "Mocker(...) options (real_http=, kw=, "
                            "case_sensitive=) have no http_mock equivalent")
                return updated
            parent = self.p.parent()
            if isinstance(parent, cst.Decorator):
                return updated  # the FunctionDef handler replaces the decorator
            self.p.need_import("asyncify.compat", MOCK)
            self.p.changed(self.id)
            return cst.Call(cst.Name(MOCK), [kw("assert_all_called", cst.Name("False"))])
        func = original.func
        if not isinstance(func, cst.Attribute) or not self._is_mocker(func.value):
            return updated
        assert isinstance(updated.func, cst.Attribute)
        name = func.attr.value
        given = positional(updated)
        named = keywords(updated)
        mocked = Mocked()
        if name in ("register_uri", "request"):
            if len(given) < 2:
                return updated
            mocked.method, mocked.url = given[0].value, given[1].value
            rest = given[2:]
        elif name in VERBS or name == "head":
            if not given:
                return updated
            mocked.method = cst.SimpleString(repr(name.upper()))
            mocked.url = given[0].value
            rest = given[1:]
        else:
            return updated
        if rest:
            self.p.todo(self.id, original, "a list of responses (one per call): use respx "
                        "side_effect=[httpx.Response(...), ...]")
            return updated
        for key, arg in named.items():
            if key == "status_code":
                mocked.status = arg.value
            elif key in _BODY:
                mocked.body.append((_BODY[key], arg.value))
            elif key == "exc":
                mocked.raises = arg.value
            else:
                self.p.todo(self.id, original, f"requests-mock {key}= (matchers, callbacks, "
                            "reason, cookies) has no direct respx translation")
                return updated
        built = build(updated.func.value, mocked)
        if isinstance(built, str):
            self.p.todo(self.id, original, built)
            return updated
        if mocked.raises is not None:
            self.p.need_import("httpx")
        self.p.changed(self.id)
        return built
