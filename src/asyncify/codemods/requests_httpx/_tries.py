"""Which ``try`` statements guard requests calls that stay requests, and which guard calls
that became httpx: ASY202 maps an ``except requests.X`` clause only for the calls that now
raise httpx exceptions (a call kept on a ``requests.Session`` still raises requests' own)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

if TYPE_CHECKING:
    from .._engine import Pass

KEPT = "requests_httpx.kept_tries"
CONVERTED = "requests_httpx.converted_tries"


def note(p: Pass, key: str) -> None:
    """Record that the call being left (a kept or a converted requests call) sits in the
    body of each enclosing ``try`` of its function (``key``: :data:`KEPT`/:data:`CONVERTED`)."""
    tries: set[int] = p.scratch.setdefault(key, set())
    n = 1
    while (node := p.ancestor(n)) is not None and not isinstance(
            node, cst.FunctionDef | cst.Lambda | cst.ClassDef):
        if isinstance(node, cst.Try | cst.TryStar) and p.ancestor(n - 1) is node.body:
            tries.add(id(node))
        n += 1


def guards(p: Pass, key: str, try_node: cst.CSTNode | None) -> bool:
    """Whether ``try_node`` (an original node) guards a call recorded under ``key``."""
    return try_node is not None and id(try_node) in p.scratch.get(key, set())
