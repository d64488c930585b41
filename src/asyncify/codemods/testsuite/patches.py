"""ASY706: ``unittest.mock.patch`` of ``requests`` functions, at any import path.

``patch("shop.views.requests.post")``, ``patch("requests.get")``,
``patch("requests.Session.get")``, ``patch.object(requests, "get")`` and
``patch.object(views.requests, "post")`` replace a function that a migrated endpoint no
longer calls (it calls httpx), so the test would silently stop mocking.

A test decorated with one such patch whose mock is only configured by top-level statements
(``m.return_value.status_code/json.return_value/text/content/headers = ...``,
``m.side_effect = <requests exception>``), in one run before anything is called, and only
checked with ``called``, ``call_count``, ``assert_called()``, ``assert_called_once()`` or
``assert_not_called()`` becomes ``@http_mock`` with ``m = http_mock.<verb>()`` — a respx route
for any URL with that method, which answers requests' and httpx's calls alike — and
``m.return_value = httpx.Response(status, json=...)`` (status 200 unless set) or
``m.side_effect = httpx.<Error>``.

``with patch(...) as m:`` (several such patches in one ``with``, each of another method,
too) is translated the same way when its block meets those conditions: ``with http_mock:``
with the routes created in the block; the router drops them when the block ends, so they are
active only inside it, as the patch was. The mock must not be named after the block (where
another ``with ... as`` of the same name does not rebind it), and the ``with`` must not be
inside another HTTP mock's scope (a mocking decorator, fixture or ``with``: the nested router
would neither shadow the outer routes nor keep the outer counts, which it resets on exit).

Every other patch of requests (``call_args``, the response used as an object, a callable side
effect, several patches on one test, a ``with`` without ``as`` or mixing other context
managers) gets a TODO saying why and what to write.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import libcst as cst

from .._rule import Example, Rule, dotted, register
from ._common import MOCK, VERBS, clean, kw, positional
from ._patch_plan import ASSERTS, Plan, escapes, placement, plan

if TYPE_CHECKING:
    from .._engine import Pass

_PATCH = {"unittest.mock.patch", "mock.patch"}
_OBJECT = {"unittest.mock.patch.object", "mock.patch.object"}
_TARGETS = (*VERBS, "request")
# Parameters that are HTTP-mocking fixtures: their test runs inside a mock's scope.
_FIXTURES = {"requests_mock", "respx_mock", "httpx_mock", "mocked_responses", "responses"}
# Context managers (by dotted name) that may mock HTTP.
_MOCKING = ("mock", "patch", "responses", "respx")
_USAGE = (
    "only top-level m.return_value.<status_code|text|content|headers|json.return_value>"
    " = ... and m.side_effect = <requests exception> before the first call, then "
    "m.called, m.call_count and assert_called()/assert_called_once()/assert_not_called()"
    " statements translate"
)


@register
class RequestsPatches(Rule):
    id = "ASY706"
    title = (
        "unittest.mock.patch of requests.get/post/… (any import path, patch.object; "
        "decorator or `with ... as m:` block) → a respx route on asyncify.compat.http_mock "
        "(`@http_mock` / `with http_mock:`) when the mock is only configured and counted, "
        "else a TODO"
    )
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
            "from unittest.mock import patch\n\ndef test_page(client):\n"
            "    with patch('shop.views.requests.get') as get:\n"
            "        get.return_value.text = 'hi'\n"
            "        assert client.get('/page').data == b'hi'\n",
            "from unittest.mock import patch\nimport httpx\n"
            "from asyncify.compat import http_mock\n\ndef test_page(client):\n"
            "    with http_mock:\n        get = http_mock.get()\n"
            "        get.return_value = httpx.Response(200, text='hi')\n"
            "        assert client.get('/page').data == b'hi'\n",
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
        self._withs: list[list[Plan] | None] = []  # per enclosing ``with``: its routes
        self._scopes: list[cst.FunctionDef | cst.ClassDef] = []
        self._mocked: list[bool] = []  # per enclosing def/class/with: may it mock HTTP?
        self._translated: set[int] = set()  # id() of patch calls being translated
        self._reasons: dict[int, str] = {}  # id() of patch calls in a ``with``: why not

    def _target(self, call: cst.Call) -> str | None:
        """``requests.<verb>`` when ``call`` patches that function, at any import path."""
        qualified = self.p.qualified(call.func)
        given = positional(call)
        if qualified & _PATCH and given and isinstance(given[0].value, cst.SimpleString):
            text = given[0].value.evaluated_value
            parts = text.split(".") if isinstance(text, str) else []
            if (
                len(parts) >= 2
                and parts[-1] in _TARGETS
                and (
                    parts[-2] == "requests"
                    or (parts[-2:] == ["Session", parts[-1]] and "requests" in parts)
                )
            ):
                return f"requests.{parts[-1]}"
        elif (
            qualified & _OBJECT and len(given) >= 2 and isinstance(given[1].value, cst.SimpleString)
        ):
            owner = dotted(given[0].value) or ""
            attr = given[1].value.evaluated_value
            if attr in _TARGETS and (
                owner == "requests" or owner.endswith((".requests", "requests.Session", ".Session"))
            ):
                return f"requests.{attr}"
        return None

    def _bare(self, call: cst.Call) -> bool:
        """``patch(target)`` / ``patch.object(owner, name)``: no ``new``, ``return_value=``,
        ``autospec=``, … (the mock is a plain MagicMock, passed to the test or bound by
        ``as``)."""
        given = len(positional(call))
        return len(call.args) == given and given == (
            2 if self.p.qualified(call.func) & _OBJECT else 1
        )

    def _scope(self, node: cst.FunctionDef | cst.ClassDef) -> None:
        self._scopes.append(node)
        params = (
            [p.name.value for p in node.params.params] if isinstance(node, cst.FunctionDef) else []
        )
        self._mocked.append(
            not all(_is_mark(d) for d in node.decorators) or bool(_FIXTURES.intersection(params))
        )

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._scope(node)

    def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef) -> cst.ClassDef:
        self._scopes.pop()
        self._mocked.pop()
        return updated

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        patches = [
            d
            for d in node.decorators
            if isinstance(d.decorator, cst.Call) and self._target(d.decorator) is not None
        ]
        params = [p.name.value for p in node.params.params]
        if params and params[0] in ("self", "cls"):
            params = params[1:]
        found = None
        if (
            len(patches) == 1
            and params
            and isinstance(node.body, cst.IndentedBlock)
            and len(node.decorators)
            == len(patches) + sum(1 for d in node.decorators if _is_mark(d))
        ):
            call = patches[0].decorator
            assert isinstance(call, cst.Call)
            if self._bare(call):
                verb = (self._target(call) or "").rpartition(".")[2]
                found = plan(node.body, params[0], verb)
                if found is not None and placement(node.body.body, [found]) is None:
                    found = None
                if found is not None:
                    self._translated.add(id(call))
        self._plans.append(found)
        self._scope(node)

    def leave_FunctionDef(
        self, original: cst.FunctionDef, updated: cst.FunctionDef
    ) -> cst.FunctionDef:
        self._scopes.pop()
        self._mocked.pop()
        found = self._plans.pop()
        if found is None:
            return updated
        return self._translate(updated, found)

    def visit_With(self, node: cst.With) -> None:
        calls = [
            item.item
            for item in node.items
            if isinstance(item.item, cst.Call) and self._target(item.item) is not None
        ]
        found: list[Plan] | None = None
        if calls:
            outcome = self._with_plans(node)
            if isinstance(outcome, str):
                self._reasons.update((id(call), outcome) for call in calls)
            else:
                found = outcome
                self._translated.update(id(call) for call in calls)
        self._withs.append(found)
        self._mocked.append(
            any(
                any(
                    part
                    in (
                        dotted(item.item.func if isinstance(item.item, cst.Call) else item.item)
                        or ""
                    ).lower()
                    for part in _MOCKING
                )
                for item in node.items
            )
        )

    def _with_plans(self, node: cst.With) -> list[Plan] | str:
        """The routes standing for the requests patches ``node`` enters, or why not."""
        if node.asynchronous is not None:
            return "an async with"
        plans: list[Plan] = []
        for item in node.items:
            call = item.item
            if not (isinstance(call, cst.Call) and self._target(call) is not None):
                return "the with statement also enters other context managers"
            if not self._bare(call):
                return "patch() is given new, return_value=, autospec=, …"
            if not (isinstance(item.asname, cst.AsName) and isinstance(item.asname.name, cst.Name)):
                return "the mock is not bound by `as name`"
            verb = (self._target(call) or "").rpartition(".")[2]
            plans.append(Plan(item.asname.name.value, verb))
        verbs = [found.verb for found in plans]
        names = {found.param for found in plans}
        if (
            len(set(verbs)) < len(verbs)
            or len(names) < len(plans)
            or ("request" in verbs and len(verbs) > 1)
        ):
            return "one with statement patches the same method twice"
        if not isinstance(node.body, cst.IndentedBlock):
            return "the with block is on one line"
        if not self._scopes or not isinstance(self._scopes[-1], cst.FunctionDef):
            return "the with statement is not in a function"
        if any(self._mocked):
            return (
                "the with statement is inside another mocking decorator, fixture or with "
                "statement, where a nested respx router would neither shadow its routes "
                "nor keep its counts"
            )
        translated = [plan(node.body, found.param, found.verb) for found in plans]
        if not all(translated):
            return f"the mock is used beyond what a respx route stands for: {_USAGE}"
        routes = sorted(
            (found for found in translated if found is not None), key=lambda found: found.config[:1]
        )  # in the order configured
        if placement(node.body.body, routes) is None:
            return (
                "the mock is configured after something is called in the block, or not in "
                "one run of statements"
            )
        if any(escapes(self._scopes[-1], node, found.param) for found in routes):
            return "the mock is used outside the with block, where its route is gone"
        return routes

    def leave_With(self, original: cst.With, updated: cst.With) -> cst.With:
        self._mocked.pop()
        found = self._withs.pop()
        if not found:
            return updated
        assert isinstance(original.body, cst.IndentedBlock)
        assert isinstance(updated.body, cst.IndentedBlock)
        at = placement(original.body.body, found)
        assert at is not None
        body = self._routes(list(updated.body.body), found, at)
        return updated.with_changes(
            items=[cst.WithItem(cst.Name(MOCK))], body=updated.body.with_changes(body=body)
        )

    def leave_SimpleStatementLine(
        self, original: cst.SimpleStatementLine, updated: cst.SimpleStatementLine
    ) -> cst.SimpleStatementLine:
        found = self._plans[-1] if self._plans else None
        params = {found.param} if found is not None else set()
        params.update(route.param for routes in self._withs if routes for route in routes)
        if not params or len(updated.body) != 1 or not isinstance(updated.body[0], cst.Expr):
            return updated
        call = updated.body[0].value
        if not (
            isinstance(call, cst.Call)
            and isinstance(call.func, cst.Attribute)
            and isinstance(call.func.value, cst.Name)
            and not call.args
            and call.func.value.value in params
            and call.func.attr.value in ASSERTS
        ):
            return updated
        route = call.func.value
        test: cst.BaseExpression = {
            "assert_called": cst.Attribute(route, cst.Name("called")),
            "assert_not_called": cst.UnaryOperation(
                cst.Not(), cst.Attribute(route, cst.Name("called"))
            ),
            "assert_called_once": cst.Comparison(
                cst.Attribute(route, cst.Name("call_count")),
                [cst.ComparisonTarget(cst.Equal(), cst.Integer("1"))],
            ),
        }[call.func.attr.value]
        return updated.with_changes(body=[cst.Assert(test)])

    def _routes(
        self, body: list[cst.BaseStatement], plans: list[Plan], at: int
    ) -> list[cst.BaseStatement]:
        """``body`` with the configuring statements of ``plans`` replaced, at ``at``, by
        ``m = http_mock.<verb>()`` and the route's return value or side effect."""
        p = self.p
        p.need_import("asyncify.compat", MOCK)
        p.changed(self.id)
        created: list[cst.BaseStatement] = []
        for found in plans:
            verb = "route" if found.verb == "request" else found.verb
            created.append(
                cst.SimpleStatementLine(
                    [
                        cst.Assign(
                            [cst.AssignTarget(cst.Name(found.param))],
                            cst.Call(cst.Attribute(cst.Name(MOCK), cst.Name(verb)), []),
                        )
                    ]
                )
            )
            if found.response:
                p.need_import("httpx")
                response = dict(found.response)
                status = response.pop("status_code", cst.Integer("200"))
                created.append(
                    _assign(
                        found.param,
                        "return_value",
                        cst.Call(
                            cst.Attribute(cst.Name("httpx"), cst.Name("Response")),
                            clean([cst.Arg(status), *(kw(k, v) for k, v in response.items())]),
                        ),
                    )
                )
            if found.raises is not None:
                p.need_import("httpx")
                created.append(
                    _assign(found.param, "side_effect", cst.parse_expression(found.raises))
                )
        config = {i for found in plans for i in found.config}
        kept = [s for i, s in enumerate(body) if i not in config]
        at = min(at, len(kept))
        kept[at:at] = created
        return kept

    def _translate(self, function: cst.FunctionDef, found: Plan) -> cst.FunctionDef:
        assert isinstance(function.body, cst.IndentedBlock)
        body = self._routes(
            list(function.body.body), [found], found.config[0] if found.config else 0
        )
        params = [q for q in function.params.params if q.name.value != found.param]
        if params:
            params[-1] = params[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        decorators = [
            d
            for d in function.decorators
            if not (isinstance(d.decorator, cst.Call) and self._target(d.decorator) is not None)
        ]
        if not any(
            isinstance(d.decorator, cst.Name) and d.decorator.value == MOCK for d in decorators
        ):
            decorators.append(cst.Decorator(cst.Name(MOCK)))
        return function.with_changes(
            decorators=decorators,
            params=function.params.with_changes(params=params),
            body=function.body.with_changes(body=body),
        )

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        target = self._target(original)
        if target is None or id(original) in self._translated:
            return updated
        verb = target.rpartition(".")[2]
        route = "route(method=...)" if verb == "request" else f"{verb}(url)"
        reason = self._reasons.get(id(original))
        why = f" ({reason})" if reason else ""
        self.p.todo(
            self.id,
            original,
            f"mock.patch of {target}: migrated code calls httpx, "
            f"so this mock stops applying{why}; mock the URL instead: http_mock.{route}"
            ".respond(status_code=..., json=...)",
        )
        return updated


def _is_mark(decorator: cst.Decorator) -> bool:
    target = decorator.decorator
    name = dotted(target.func if isinstance(target, cst.Call) else target) or ""
    return name.startswith("pytest.mark.")


def _assign(name: str, attr: str, value: cst.BaseExpression) -> cst.SimpleStatementLine:
    return cst.SimpleStatementLine(
        [cst.Assign([cst.AssignTarget(cst.Attribute(cst.Name(name), cst.Name(attr)))], value)]
    )
