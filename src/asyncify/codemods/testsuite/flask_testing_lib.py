"""ASY709: Flask-Testing ``TestCase`` classes → ``unittest.TestCase`` classes driving the
migrated app with an httpx client.

``flask_testing.TestCase`` runs ``_pre_setup()`` before ``setUp`` (and ``_post_teardown()``
after ``tearDown``, even when set-up fails): ``self.app = self.create_app()``,
``self.client = self.app.test_client()``, a pushed ``self.app.test_request_context()`` (so
``url_for``, ``current_app`` and extensions work in tests), and template/flash recording for
its signal-based asserts. A class deriving from it directly becomes a ``unittest.TestCase``
whose ``setUp`` starts with the same steps: ``create_app()`` still builds the app,
``self.client`` is ``asgi_client(combined_app(self.app))`` (ASY701/ASY707's client), and
``request_context(self.app)`` (the app's test request context; for an app converted to
FastAPI in place, one whose ``url_for`` knows its routes) is pushed as ``self._ctx`` and
popped by ``addCleanup`` (run after ``tearDown``, also when ``setUp`` fails, as
Flask-Testing's ``finally``). ``self.client`` calls and their responses go through
ASY701/ASY702. The status helpers (``assert200``…, ``assertStatus``) become
``assertEqual(r.status_code, n)``, ``assertRedirects`` the compat ``assert_redirects`` (same
codes, same location rule). Template and flash recording (``assertTemplateUsed``,
``assertMessageFlashed``, ``get_context_variable``, ``render_templates = False``) cannot be
kept: TODOs. Subclasses in the same file get their helpers rewritten; one whose ``setUp``
skips the base's gets ``super().setUp()`` first (or a TODO when the base had a ``setUp`` of
its own). ``LiveServerTestCase`` classes keep a marker, and so does every class when
ASY701/ASY702 are not selected with this rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

import libcst as cst
import libcst.matchers as m

from .._rule import Example, Rule, register
from ._common import (
    CONVERTED,
    RESPONSES,
    SELF_CLIENT,
    VERBS,
    clean,
    is_self_client,
    migrated_client,
)
from ._flask_testing import setup_steps, unused_imports_removed
from .client import TestClientCalls
from .client_responses import ClientResponses

if TYPE_CHECKING:
    from .._engine import Pass

_CASES = frozenset({"flask_testing.TestCase", "flask_testing.utils.TestCase"})
_LIVE = frozenset({"flask_testing.LiveServerTestCase", "flask_testing.utils.LiveServerTestCase"})
_WHY = ("Flask-Testing TestCase: self.client is Flask's test client over create_app()'s app "
        "and cannot drive the migrated ASGI app; derive from unittest.TestCase, build the "
        "legacy Flask app in setUp with the project's factory, set self.client = "
        "asgi_client(combined_app(app)) (asyncify.compat), push app.test_request_context() "
        "for url_for, and write assert200(r)/assertStatus(r, n) as "
        "assertEqual(r.status_code, n)")
_LIVE_WHY = ("Flask-Testing LiveServerTestCase runs the legacy app in a server process of its "
             "own: serve the combined app with uvicorn instead and point get_server_url() at it")
_STATUS = {f"{name}{code}": code for code in (200, 400, 401, 403, 404, 405, 500)
           for name in ("assert", "assert_")}
_SIGNALS = {
    name: f"Flask-Testing's {name} reads the templates/flashes it recorded through Flask "
          "signals around Flask's test client; over the ASGI client nothing records them: "
          "assert on the response body instead"
    for name in ("assertTemplateUsed", "assert_template_used", "assertMessageFlashed",
                 "assert_message_flashed", "get_context_variable", "assertContext",
                 "assert_context", "templates", "flashed_messages")}
_CLIENT_ONLY = ("Flask's test client {attr!r} has no httpx equivalent (sessions: log in "
                "through the app; cookies: client.cookies)")
_SKIPS_SETUP = ("this setUp does not call the base class's, which now also builds self.app "
                "and self.client (Flask-Testing did that before setUp): call the steps it "
                "needs")
_RETURNS_RESPONSE = m.Return(value=m.Call(func=m.Attribute(
    value=m.Attribute(value=m.Name("self"), attr=m.Name("client")),
    attr=m.OneOf(*(m.Name(v) for v in VERBS)))))
_CALLS_SETUP = m.Call(func=m.Attribute(attr=m.Name("setUp")))


@dataclass
class _Case:
    kind: str  # "case" (rewritten), "sub" (same-file subclass), "live", "marker"
    helpers: set[str] = field(default_factory=set)  # methods returning a client response
    setup: bool = False  # a setUp of the user's own in its Flask-Testing ancestry


@register
class FlaskTestingCases(Rule):
    id = "ASY709"
    title = ("Flask-Testing TestCase classes → unittest.TestCase with an httpx client over "
             "the migrated app in setUp, status and redirect assertions kept")
    gate = frozenset({"flask_testing"})
    triggers = frozenset({"TestCase"})
    async_only = False
    examples: ClassVar[tuple[Example, ...]] = (
        Example(
            "import unittest\nimport flask_testing\n\nclass T(unittest.TestCase):\n"
            "    def test_x(self):\n        self.assertTrue(flask_testing)\n",
            "import unittest\nimport flask_testing\n\nclass T(unittest.TestCase):\n"
            "    def test_x(self):\n        self.assertTrue(flask_testing)\n",
            why="a plain unittest.TestCase: Flask-Testing imported but not subclassed",
        ),
        Example(
            "from flask_testing import TestCase\nfrom app import app\n\n"
            "class Home(TestCase):\n    def create_app(self):\n        return app\n",
            "from flask_testing import TestCase\nfrom app import app\n\n"
            f"# TODO[asyncify ASY709]: {_WHY} — "
            "https://asyncify.readthedocs.io/en/latest/rules/#asy709\n"
            "class Home(TestCase):\n    def create_app(self):\n        return app\n",
        ),  # run alone (without ASY701/ASY702, which convert self.client's use): a marker
        Example(
            "from flask import url_for\nfrom flask_testing import TestCase\n"
            "from shop import create_app\n\n"
            "class Home(TestCase):\n    def create_app(self):\n"
            "        return create_app('test')\n\n"
            "    def test_home(self):\n        r = self.client.get(url_for('home'))\n"
            "        self.assert200(r)\n        self.assertEqual(r.json, {'ok': True})\n\n"
            "    def test_old(self):\n"
            "        self.assertRedirects(self.client.get('/old'), '/home')\n",
            "from flask import url_for\nfrom shop import create_app\nimport unittest\n"
            "from asyncify.compat import asgi_client, assert_redirects, combined_app, "
            "json_or_none, request_context\n\n"
            "class Home(unittest.TestCase):\n    def create_app(self):\n"
            "        return create_app('test')\n\n"
            "    def setUp(self):\n"
            "        # Flask-Testing's set-up (asyncify ASY709): the legacy app, a client of "
            "the migrated app, a test request context.\n"
            "        self.app = self.create_app()\n"
            "        self.client = asgi_client(combined_app(self.app))\n"
            "        self.addCleanup(self.client.close)\n"
            "        self._ctx = request_context(self.app)\n"
            "        self._ctx.push()\n"
            "        self.addCleanup(self._ctx.pop)\n\n"
            "    def test_home(self):\n        r = self.client.get(url_for('home'))\n"
            "        self.assertEqual(r.status_code, 200)\n"
            "        self.assertEqual(json_or_none(r), {'ok': True})\n\n"
            "    def test_old(self):\n"
            "        assert_redirects(self, self.client.get('/old'), '/home')\n",
            with_rules=("ASY701", "ASY707", "ASY702"),
        ),
    )

    def __init__(self, p: Pass) -> None:
        super().__init__(p)
        self._cases: dict[str, _Case] = {}
        self._open: list[_Case | None] = []
        self._rewrote = False
        self._rewrites = False

    def visit_Module(self, node: cst.Module) -> None:
        # Without ASY701/ASY702, self.client's calls and responses would stay Flask's.
        self._rewrites = {TestClientCalls, ClientResponses} <= {type(r) for r in self.p.rules}

    def _rewriting(self) -> _Case | None:
        case = self._open[-1] if self._open else None
        return case if case is not None and case.kind in ("case", "sub") else None

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        names = set().union(*(self.p.qualified(base.value) for base in node.bases))
        parents = [self._cases[b.value.value] for b in node.bases
                   if isinstance(b.value, cst.Name) and b.value.value in self._cases]
        if names & _LIVE:
            case: _Case | None = _Case("live")
        elif names & _CASES:
            case = _Case("case" if self._rewrites else "marker")
        elif any(parent.kind in ("case", "sub") for parent in parents):
            case = _Case("sub")
        else:
            case = None
        if case is not None:
            for parent in parents:
                case.helpers |= parent.helpers
                case.setup |= parent.setup
            methods = [s for s in node.body.body if isinstance(s, cst.FunctionDef)]
            case.helpers |= {f.name.value for f in methods if m.findall(f, _RETURNS_RESPONSE)}
            self._cases[node.name.value] = case
        self._open.append(case)
        if case is not None and case.kind in ("case", "sub"):
            self.p.scratch[SELF_CLIENT] = self.p.scratch.get(SELF_CLIENT, 0) + 1

    def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef) -> cst.ClassDef:
        case = self._open.pop()
        if case is None:
            return updated
        if case.kind in ("case", "sub"):
            self.p.scratch[SELF_CLIENT] -= 1
        if case.kind == "marker":
            self.p.todo(self.id, original, _WHY)
        elif case.kind == "live":
            self.p.todo(self.id, original, _LIVE_WHY)
        elif case.kind == "case":
            updated = self._rewrite_case(original, updated)
        else:
            updated = self._rewrite_sub(original, updated, case)
        case.setup |= any(isinstance(s, cst.FunctionDef) and s.name.value == "setUp"
                          for s in original.body.body)
        return updated

    def _rewrite_case(self, original: cst.ClassDef, updated: cst.ClassDef) -> cst.ClassDef:
        self.p.changed(self.id)
        self.p.need_import("unittest")
        self._rewrote = True
        if any(m.matches(s, m.SimpleStatementLine([m.Assign(
                [m.AssignTarget(m.Name("render_templates"))], m.Name("False"))]))
               for s in original.body.body):
            self.p.todo(self.id, original, "render_templates = False: Flask-Testing replaced "
                        "template rendering with an empty string; the migrated app renders "
                        "them (assert on the rendered body, or stub the template)")
        unittest_case = cst.Attribute(cst.Name("unittest"), cst.Name("TestCase"))
        bases = [b.with_changes(value=unittest_case) if self.p.qualified(o.value) & _CASES
                 else b for o, b in zip(original.bases, updated.bases, strict=True)]
        client = migrated_client(self.p, _self("app"))
        self.p.need_import("asyncify.compat", "request_context")
        return updated.with_changes(bases=bases, body=setup_steps(updated.body, client))

    def _rewrite_sub(self, original: cst.ClassDef, updated: cst.ClassDef,
                     case: _Case) -> cst.ClassDef:
        setups = [s for s in updated.body.body
                  if isinstance(s, cst.FunctionDef) and s.name.value == "setUp"]
        if not setups or m.findall(setups[0], _CALLS_SETUP):
            return updated
        if case.setup:  # the base's setUp runs more than Flask-Testing's steps
            before = next(s for s in original.body.body
                          if isinstance(s, cst.FunctionDef) and s.name.value == "setUp")
            marked = self.p.marked(self.id, before, _SKIPS_SETUP, setups[0])
            return updated.with_deep_changes(updated.body, body=[
                marked if s is setups[0] else s for s in updated.body.body])
        self.p.changed(self.id)
        call = cst.SimpleStatementLine([cst.Expr(cst.Call(cst.Attribute(
            cst.Call(cst.Name("super")), cst.Name("setUp"))))])
        body = setups[0].body
        assert isinstance(body, cst.IndentedBlock)
        new = setups[0].with_changes(body=body.with_changes(body=[call, *body.body]))
        return updated.with_deep_changes(updated.body, body=[
            new if s is setups[0] else s for s in updated.body.body])

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        case = self._rewriting()
        func = original.func
        if case is None or not isinstance(func, cst.Attribute):
            return updated
        if is_self_client(func.value) and func.attr.value not in (*VERBS, "open"):
            self.p.todo(self.id, original, _CLIENT_ONLY.format(attr=func.attr.value))
            return updated
        if not (isinstance(func.value, cst.Name) and func.value.value == "self"):
            return updated
        name = func.attr.value
        if name in _STATUS or name in ("assertStatus", "assert_status"):
            return self._status(original, updated, _STATUS.get(name))
        if name in ("assertRedirects", "assert_redirects"):
            self.p.changed(self.id)
            self.p.need_import("asyncify.compat", "assert_redirects")
            return cst.Call(cst.Name("assert_redirects"),
                            clean([cst.Arg(cst.Name("self")), *updated.args]))
        if name in _SIGNALS:
            self.p.todo(self.id, original, _SIGNALS[name])
        elif name in case.helpers:  # a method returning self.client's response
            self.p.scratch.setdefault(CONVERTED, set()).add(id(original))
            parent = self.p.parent()
            if (isinstance(parent, cst.Assign) and len(parent.targets) == 1
                    and isinstance(parent.targets[0].target, cst.Name)):
                self.p.scratch.setdefault(RESPONSES, set()).add(
                    (self.p.qualname(), parent.targets[0].target.value))
        return updated

    def _status(self, original: cst.Call, updated: cst.Call, code: int | None) -> cst.Call:
        args = _message_last(updated.args)
        wanted = 1 if code is not None else 2
        if len(args) < wanted or any(a.star or a.keyword is not None for a in args[:wanted]):
            self.p.todo(self.id, original, "a Flask-Testing status assertion with arguments "
                        "this rule does not read: write assertEqual(r.status_code, n)")
            return updated
        response, rest = args[0], args[1:]
        status = cst.Arg(_attribute(response.value, "status_code"))
        expected = [cst.Arg(cst.Integer(str(code)))] if code is not None else []
        self.p.changed(self.id)
        return updated.with_changes(func=_self("assertEqual"),
                                    args=clean([status, *expected, *rest]))

    def leave_Attribute(self, original: cst.Attribute, updated: cst.Attribute
                        ) -> cst.BaseExpression:
        parent = self.p.parent()
        if (self._rewriting() is not None and original.attr.value in ("templates",
                                                                      "flashed_messages")
                and isinstance(original.value, cst.Name) and original.value.value == "self"
                and not (isinstance(parent, cst.Call) and parent.func is original)):
            self.p.todo(self.id, original, _SIGNALS[original.attr.value])
        return updated

    def leave_WithItem(self, original: cst.WithItem, updated: cst.WithItem) -> cst.WithItem:
        if self._rewriting() is not None and is_self_client(original.item):
            self.p.todo(self.id, original, "`with self.client:` kept Flask's request context "
                        "after each request; an httpx client is closed when the block ends: "
                        "drop the with, and read the response instead of flask.request")
        return updated

    def leave_Module(self, original: cst.Module, updated: cst.Module) -> cst.Module:
        return unused_imports_removed(updated) if self._rewrote else updated


def _self(attr: str) -> cst.Attribute:
    return cst.Attribute(cst.Name("self"), cst.Name(attr))


def _attribute(value: cst.BaseExpression, attr: str) -> cst.Attribute:
    if not isinstance(value, cst.Name | cst.Attribute | cst.Call | cst.Subscript):
        value = value.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
    return cst.Attribute(value, cst.Name(attr))


def _message_last(args: Sequence[cst.Arg]) -> list[cst.Arg]:
    """Flask-Testing's ``message=`` keyword is unittest's ``msg=``."""
    return [a.with_changes(keyword=cst.Name("msg"))
            if a.keyword is not None and a.keyword.value == "message" else a for a in args]


