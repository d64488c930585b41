"""Shared by the ASY5xx rules that move a blocking function call to a worker thread."""

from __future__ import annotations

import libcst as cst

from .._rule import Rule


def to_thread(rule: Rule, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
    """``f(a, k=v)`` → ``await asyncio.to_thread(f, a, k=v)``: same call, same result, same
    exceptions, on a thread instead of the event loop."""
    rule.p.need_import("asyncio")
    rule.p.changed(rule.id)
    args = [cst.Arg(value=updated.func), *updated.args]
    call = cst.Call(func=cst.parse_expression("asyncio.to_thread"), args=args)
    return rule.p.awaited(original, call)
