"""A mocked route, as ``responses`` and ``requests-mock`` register one, rebuilt as a respx
route on :data:`asyncify.compat.http_mock`: same method, URL, status, body and headers."""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst

from .._engine import _dotted_expr
from .._rule import dotted
from ._common import EXCEPTIONS, VERBS, exception_name, kw, route


@dataclass
class Mocked:
    """What a mock registration says, in respx's terms (filled by each library's rule)."""

    method: cst.BaseExpression | None = None
    url: cst.BaseExpression | None = None
    status: cst.BaseExpression | None = None
    body: list[tuple[str, cst.BaseExpression]] = field(default_factory=list)
    raises: cst.BaseExpression | None = None


def verb_of(method: cst.BaseExpression | None) -> str | None:
    """``"GET"`` / ``responses.GET`` → ``get``; ``None`` when not a literal verb."""
    if isinstance(method, cst.SimpleString):
        text = method.evaluated_value
        word = text.lower() if isinstance(text, str) else ""
    else:
        name = dotted(method) if method is not None else None
        word = name.rpartition(".")[2].lower() if name else ""
    return word if word in VERBS else None


def build(receiver: cst.BaseExpression, mocked: Mocked) -> cst.Call | str:
    """The respx call, or why it cannot be built (for the TODO)."""
    url: list[cst.Arg] = []
    if mocked.url is not None:
        target = mocked.url
        if isinstance(target, cst.Call) and dotted(target.func) in ("re.compile",):
            if len(target.args) != 1:
                return "a compiled URL pattern with flags"
            url.append(kw("url__regex", target.args[0].value))
        elif (dotted(target) or "").endswith(".ANY"):
            pass  # any URL: a route without a URL pattern
        else:
            url.append(cst.Arg(target))
    verb = verb_of(mocked.method)
    if verb is None and mocked.method is not None and not (
            dotted(mocked.method) or "").endswith(".ANY"):
        url.insert(0, kw("method", mocked.method))
    if mocked.raises is not None:
        name = exception_name(mocked.raises)
        if name not in EXCEPTIONS:
            return f"the mock raises {name or 'an exception'}, which has no httpx twin here"
        outcome = cst.Call(cst.Name("mock"), [kw("side_effect", _dotted_expr(EXCEPTIONS[name]))])
        return route(receiver, verb, url, outcome)
    args = [] if mocked.status is None else [kw("status_code", mocked.status)]
    args += [kw(name, value) for name, value in mocked.body]
    return route(receiver, verb, url, cst.Call(cst.Name("respond"), args))
