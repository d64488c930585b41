"""What the test-suite rules share: building keyword arguments and respx routes, the names
of per-file state, and which requests exception each httpx error stands for."""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from .._rule import dotted
from ..requests_httpx._kwargs import kw as kw  # re-exported for the test-suite rules

if TYPE_CHECKING:
    from .._engine import Pass

VERBS = ("get", "post", "put", "patch", "delete", "head", "options")
# Parameters named like the usual Flask test-client fixture.
FIXTURE_NAMES = frozenset({"client", "test_client", "flask_client", "app_client"})
# Where the per-file state lives in ``Pass.scratch``.
CLIENT_NAMES = "testsuite.clients"     # names bound to a converted test client
RESPONSES = "testsuite.responses"      # (function, name) of converted client responses
CONVERTED = "testsuite.converted"      # id() of original client calls that were converted
MOCKERS = "testsuite.mockers"          # names bound by ``with requests_mock.Mocker() as``
MOCK = "http_mock"                     # the compat router translated mocks use
# How many Flask-Testing classes being rewritten (ASY709) enclose the node: ``self.client``
# there is the converted client.
SELF_CLIENT = "testsuite.self_client"

# requests' exceptions (as mocks raise them) → the httpx error the same failure raises.
EXCEPTIONS = {
    "ConnectionError": "httpx.ConnectError",
    "ConnectTimeout": "httpx.ConnectTimeout",
    "ReadTimeout": "httpx.ReadTimeout",
    "Timeout": "httpx.ReadTimeout",
    "TooManyRedirects": "httpx.TooManyRedirects",
}


def is_self_client(node: cst.BaseExpression) -> bool:
    """``self.client``: Flask-Testing's test client attribute."""
    return (isinstance(node, cst.Attribute) and node.attr.value == "client"
            and isinstance(node.value, cst.Name) and node.value.value == "self")


def migrated_client(p: Pass, app: cst.BaseExpression) -> cst.Call:
    """``asgi_client(combined_app(app))`` (what ASY701 and ASY707 make of
    ``app.test_client()``), with its imports."""
    p.need_import("asyncify.compat", "asgi_client")
    p.need_import("asyncify.compat", "combined_app")
    return cst.Call(cst.Name("asgi_client"), [cst.Arg(cst.Call(cst.Name("combined_app"),
                                                               [cst.Arg(app)]))])


def keywords(call: cst.Call) -> dict[str, cst.Arg]:
    return {a.keyword.value: a for a in call.args if a.keyword is not None}


def positional(call: cst.Call) -> list[cst.Arg]:
    return [a for a in call.args if a.keyword is None and not a.star]


def clean(args: list[cst.Arg]) -> list[cst.Arg]:
    """Arguments laid out ``a, b=c`` (the last one without a trailing comma)."""
    out = [a.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
           for a in args]
    if out:
        out[-1] = out[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
    return out


def string(value: str) -> cst.SimpleString:
    return cst.SimpleString(repr(value))


def exception_name(node: cst.BaseExpression) -> str | None:
    """``requests.exceptions.ConnectTimeout`` / ``ConnectTimeout()`` → ``ConnectTimeout``."""
    target = node.func if isinstance(node, cst.Call) else node
    name = dotted(target)
    return None if name is None else name.rpartition(".")[2]


def is_str_or_bytes(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.SimpleString | cst.ConcatenatedString | cst.FormattedString)


def is_mapping(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Dict | cst.DictComp) or (
        isinstance(node, cst.Call) and dotted(node.func) == "dict")


def route(receiver: cst.BaseExpression, verb: str | None, url: list[cst.Arg],
          outcome: cst.Call | None) -> cst.Call:
    """``receiver.get(url)`` (or ``receiver.route(...)``) followed by ``outcome``'s
    ``.respond(...)`` / ``.mock(side_effect=...)``."""
    head = cst.Call(cst.Attribute(receiver, cst.Name(verb or "route")), clean(url))
    if outcome is None:
        return head
    assert isinstance(outcome.func, cst.Name)
    return cst.Call(cst.Attribute(head, outcome.func), clean(list(outcome.args)))
