"""ASY203: attributes of a response that only requests has, on a variable that now holds an
httpx response (assigned from a call ASY201 converted, in the same function)."""

from __future__ import annotations

import libcst as cst

from .._rule import Example, Rule, register
from .calls import RESPONSES, STREAMING

_TODO = {
    "iter_content": "iterating a body needs async with client.stream(...) and "
                    "aiter_bytes()",
    "iter_lines": "iterating lines needs async with client.stream(...) and aiter_lines() "
                  "(which yields str and splits on more characters)",
    "raw": "httpx has no raw file-like body; use aiter_raw() or content",
    "apparent_encoding": "httpx has no apparent_encoding; pass default_encoding= to the client",
}


@register
class ResponseAttributes(Rule):
    id = "ASY203"
    title = "requests-only response attributes on converted responses (ok, reason, streaming)"
    gate = frozenset({"requests"})
    triggers = frozenset({"ok", "reason", "iter_", "raw", "apparent_encoding"})
    examples = (
        Example(
            "import requests\n\ndef check(url):\n    r = requests.get(url, timeout=1)\n"
            "    return r.ok\n",
            "import requests\n\ndef check(url):\n    r = requests.get(url, timeout=1)\n"
            "    return r.ok\n",
            why="sync code keeps requests",
        ),
        Example(
            "import requests\n\nasync def check(url):\n    r = requests.get(url, timeout=1)\n"
            "    if not r.ok:\n        return r.reason\n    return r.text\n",
            "import requests\nfrom asyncify.compat import http_client\n\n"
            "async def check(url):\n"
            "    r = await http_client().get(url, timeout=1, follow_redirects=True)\n"
            "    if not (not r.is_error):\n        return r.reason_phrase\n    return r.text\n",
            with_rules=("ASY201",),
        ),
    )

    def leave_Attribute(
        self, original: cst.Attribute, updated: cst.Attribute
    ) -> cst.BaseExpression:
        if not isinstance(original.value, cst.Name):
            return updated
        known = self.p.scratch.get(RESPONSES, set())
        if (self.p.qualname(), original.value.value) not in known:
            return updated
        attr = original.attr.value
        if attr == "ok":
            # requests' ok is True for 1xx-3xx: not is_error, not is_success.
            self.p.changed(self.id)
            return cst.UnaryOperation(
                cst.Not(), updated.with_changes(attr=cst.Name("is_error")),
                lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
        if attr == "reason":
            self.p.changed(self.id)
            return updated.with_changes(attr=cst.Name("reason_phrase"))
        if attr in _TODO and (self.p.qualname(), original.value.value) not in (
            self.p.scratch.get(STREAMING, ())
        ):
            self.p.todo(self.id, original, _TODO[attr])
        return updated
