"""ASY706: ``unittest.mock.patch`` of ``requests`` functions, at any import path.

``patch("shop.views.requests.post")``, ``patch("requests.get")``,
``patch("requests.Session.get")``, ``patch.object(requests, "get")`` and
``patch.object(views.requests, "post")`` replace a function that a migrated endpoint no
longer calls (it calls httpx), so the test would silently stop mocking.

A test decorated with one such patch whose mock is only configured by top-level statements
(``m.return_value.status_code/json.return_value/text/content/headers = ...``,
``m.side_effect = <requests exception>``) and only checked with ``called``, ``call_count``,
``assert_called()``, ``assert_called_once()`` or ``assert_not_called()`` becomes
``@http_mock`` with ``m = http_mock.<verb>()`` — a respx route for any URL with that method,
which answers requests' and httpx's calls alike — and ``m.return_value =
httpx.Response(status, json=...)`` (status 200 unless set) or ``m.side_effect = httpx.<Error>``.
Every other patch of requests (``call_args``, the response used as an object, a callable side
effect, ``with patch(...)``, several patches on one test) gets a TODO saying what to write.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import libcst as cst

from .._rule import Example, Rule, dotted, register
from ._common import MOCK, VERBS, clean, kw, positional
from ._patch_plan import ASSERTS, Plan, plan

if TYPE_CHECKING:
    from .._engine import Pass

_PATCH = {"unittest.mock.patch", "mock.patch"}
_OBJECT = {"unittest.mock.patch.object", "mock.patch.object"}
_TARGETS = (*VERBS, "request")


@register
class RequestsPatches(Rule):
    id = "ASY706"
    title = ("unittest.mock.patch of requests.get/post/… (any import path, patch.object) → "
             "a respx route on asyncify.compat.http_mock when the mock is only configured "
             "and counted, else a TODO")
    gate = frozenset({"unittest", "mock"})
    triggers = frozenset({"requests"})
    async_only = False
    examples: ClassVar[tuple[Example, ...]] = (
        Example(
            "from unittest.mock import patch\n\n@patch('shop.mail.smtplib.SMTP')\n"
            "def test_mail(smtp):\n    send()\n",
            "from unittest.mock import patch\n\n@patch('shop.mail.smtplib.SMTP')\n"
            "def test_mail(smtp):\n    send()\n",
            why="the patch is not of requests",
        ),
        Example(
            "from unittest import mock\n\n@mock.patch('shop.views.requests.post')\n"
            "def test_order(post, client):\n    post.return_value.status_code = 201\n"
            "    post.return_value.json.return_value = {'id': 7}\n"
            "    assert place_order(client) == 7\n    post.assert_called_once()\n",
            "from unittest import mock\nimport httpx\nfrom asyncify.compat import http_mock\n\n"
            "@http_mock\ndef test_order(client):\n    post = http_mock.post()\n"
            "    post.return_value = httpx.Response(201, json={'id': 7})\n"
            "    assert place_order(client) == 7\n    assert post.call_count == 1\n",
        ),
        Example(
            "from unittest import mock\n\n@mock.patch('shop.views.requests.post')\n"
            "def test_order(post):\n    place_order()\n"
            "    assert post.call_args.kwargs['json'] == {'sku': 'A'}\n",
            "from unittest import mock\n\n"
            "# TODO[asyncify ASY706]: mock.patch of requests.post: migrated code calls httpx, "
            "so this mock stops applying; mock the URL instead: http_mock.post(url)"
            ".respond(status_code=..., json=...) — "
            "https://asyncify.readthedocs.io/en/latest/rules/#asy706\n"
            "@mock.patch('shop.views.requests.post')\n"
            "def test_order(post):\n    place_order()\n"
            "    assert post.call_args.kwargs['json'] == {'sku': 'A'}\n",
        ),
    )

    def __init__(self, p: Pass) -> None:
        super().__init__(p)
        self._plans: list[Plan | None] = []
        self._translated: set[int] = set()  # id() of patch decorators being translated

    def _target(self, call: cst.Call) -> str | None:
        """``requests.<verb>`` when ``call`` patches that function, at any import path."""
        qualified = self.p.qualified(call.func)
        given = positional(call)
        if qualified & _PATCH and given and isinstance(given[0].value, cst.SimpleString):
            text = given[0].value.evaluated_value
            parts = text.split(".") if isinstance(text, str) else []
            if len(parts) >= 2 and parts[-1] in _TARGETS and (
                    parts[-2] == "requests" or (parts[-2:] == ["Session", parts[-1]]
                    and "requests" in parts)):
                return f"requests.{parts[-1]}"
        elif qualified & _OBJECT and len(given) >= 2 and isinstance(
                given[1].value, cst.SimpleString):
            owner = dotted(given[0].value) or ""
            attr = given[1].value.evaluated_value
            if attr in _TARGETS and (owner == "requests" or owner.endswith(
                    (".requests", "requests.Session", ".Session"))):
                return f"requests.{attr}"
        return None

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        patches = [d for d in node.decorators if isinstance(d.decorator, cst.Call)
                   and self._target(d.decorator) is not None]
        params = [p.name.value for p in node.params.params]
        if params and params[0] in ("self", "cls"):
            params = params[1:]
        found = None
        if (len(patches) == 1 and params and isinstance(node.body, cst.IndentedBlock)
                and len(node.decorators) == len(patches) + sum(
                    1 for d in node.decorators if _is_mark(d))):
            call = patches[0].decorator
            assert isinstance(call, cst.Call)
            if len(call.args) == len(positional(call)):  # no new=, return_value=, …
                verb = (self._target(call) or "").rpartition(".")[2]
                found = plan(node, params[0], verb)
                if found is not None:
                    self._translated.add(id(call))
        self._plans.append(found)

    def leave_FunctionDef(
        self, original: cst.FunctionDef, updated: cst.FunctionDef
    ) -> cst.FunctionDef:
        found = self._plans.pop()
        if found is None:
            return updated
        return self._translate(updated, found)

    def leave_SimpleStatementLine(
        self, original: cst.SimpleStatementLine, updated: cst.SimpleStatementLine
    ) -> cst.SimpleStatementLine:
        found = self._plans[-1] if self._plans else None
        if found is None or len(updated.body) != 1 or not isinstance(updated.body[0], cst.Expr):
            return updated
        call = updated.body[0].value
        if not (isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute)
                and isinstance(call.func.value, cst.Name)
                and call.func.value.value == found.param and call.func.attr.value in ASSERTS):
            return updated
        route = call.func.value
        test: cst.BaseExpression = {
            "assert_called": cst.Attribute(route, cst.Name("called")),
            "assert_not_called": cst.UnaryOperation(
                cst.Not(), cst.Attribute(route, cst.Name("called"))),
            "assert_called_once": cst.Comparison(
                cst.Attribute(route, cst.Name("call_count")),
                [cst.ComparisonTarget(cst.Equal(), cst.Integer("1"))]),
        }[call.func.attr.value]
        return updated.with_changes(body=[cst.Assert(test)])

    def _translate(self, function: cst.FunctionDef, found: Plan) -> cst.FunctionDef:
        p = self.p
        p.need_import("asyncify.compat", MOCK)
        p.changed(self.id)
        assert isinstance(function.body, cst.IndentedBlock)
        body = list(function.body.body)
        settings: list[cst.BaseStatement] = []
        if found.response:
            p.need_import("httpx")
            status = found.response.pop("status_code", cst.Integer("200"))
            response = cst.Call(cst.Attribute(cst.Name("httpx"), cst.Name("Response")),
                                clean([cst.Arg(status), *(kw(k, v) for k, v in
                                                          found.response.items())]))
            settings.append(_assign(found.param, "return_value", response))
        if found.raises is not None:
            p.need_import("httpx")
            settings.append(_assign(found.param, "side_effect", cst.parse_expression(
                found.raises)))
        first = found.config[0] if found.config else 0
        kept = [s for i, s in enumerate(body) if i not in found.config]
        verb = "route" if found.verb == "request" else found.verb
        create = cst.SimpleStatementLine([cst.Assign(
            [cst.AssignTarget(cst.Name(found.param))],
            cst.Call(cst.Attribute(cst.Name(MOCK), cst.Name(verb)), []))])
        at = min(first, len(kept))
        kept[at:at] = [create, *settings]
        params = [q for q in function.params.params if q.name.value != found.param]
        if params:
            params[-1] = params[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        decorators = [d for d in function.decorators if not (
            isinstance(d.decorator, cst.Call) and self._target(d.decorator) is not None)]
        if not any(isinstance(d.decorator, cst.Name) and d.decorator.value == MOCK
                   for d in decorators):
            decorators.append(cst.Decorator(cst.Name(MOCK)))
        return function.with_changes(
            decorators=decorators, params=function.params.with_changes(params=params),
            body=function.body.with_changes(body=kept))

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        target = self._target(original)
        if target is None or id(original) in self._translated:
            return updated
        verb = target.rpartition(".")[2]
        route = "route(method=...)" if verb == "request" else f"{verb}(url)"
        self.p.todo(self.id, original, f"mock.patch of {target}: migrated code calls httpx, "
                    f"so this mock stops applying; mock the URL instead: http_mock.{route}"
                    ".respond(status_code=..., json=...)")
        return updated


def _is_mark(decorator: cst.Decorator) -> bool:
    target = decorator.decorator
    name = dotted(target.func if isinstance(target, cst.Call) else target) or ""
    return name.startswith("pytest.mark.")


def _assign(name: str, attr: str, value: cst.BaseExpression) -> cst.SimpleStatementLine:
    return cst.SimpleStatementLine([cst.Assign(
        [cst.AssignTarget(cst.Attribute(cst.Name(name), cst.Name(attr)))], value)])
