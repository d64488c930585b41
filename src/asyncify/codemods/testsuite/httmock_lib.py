"""ASY705: ``httmock`` → a respx router (``asyncify.compat.httmock_router``).

httmock handlers are functions that decide per request (``@urlmatch`` patterns, computed
answers), so they are kept as they are: ``with HTTMock(a, b)`` and ``@with_httmock(a, b)``
become ``httmock_router(a, b)``, an ``http_mock``-style respx router whose one route asks the
same handlers, in order, with the same ``(url, request)`` arguments; their dict / str /
``requests.Response`` answers become httpx responses. One difference, on purpose: a request
no handler answers fails the test instead of going out to the network.
"""

from __future__ import annotations

from typing import ClassVar

import libcst as cst

from .._rule import Example, Rule, register

_NAMES = {"httmock.HTTMock", "httmock.with_httmock"}


@register
class HTTMockMocks(Rule):
    id = "ASY705"
    title = ("`httmock` (HTTMock(...) context, with_httmock decorator) → a respx router "
             "asking the same handlers, which also answers requests' calls")
    gate = frozenset({"httmock"})
    triggers = frozenset({"HTTMock", "with_httmock"})
    async_only = False
    examples: ClassVar[tuple[Example, ...]] = (
        Example(
            "from httmock import urlmatch\n\n@urlmatch(netloc='fx')\ndef fx(url, request):\n"
            "    return {'status_code': 200, 'content': {'EUR': 1}}\n",
            "from httmock import urlmatch\n\n@urlmatch(netloc='fx')\ndef fx(url, request):\n"
            "    return {'status_code': 200, 'content': {'EUR': 1}}\n",
            why="a handler definition: it keeps working, called by httmock_router",
        ),
        Example(
            "from httmock import HTTMock, urlmatch, with_httmock\n\n"
            "@urlmatch(netloc='fx', path='/rates')\ndef fx(url, request):\n"
            "    return {'status_code': 200, 'content': {'EUR': 1}}\n\n"
            "def test_rates():\n    with HTTMock(fx):\n"
            "        assert fetch_rates() == {'EUR': 1}\n\n"
            "@with_httmock(fx)\ndef test_again():\n    assert fetch_rates() == {'EUR': 1}\n",
            "from httmock import HTTMock, urlmatch, with_httmock\n"
            "from asyncify.compat import httmock_router\n\n"
            "@urlmatch(netloc='fx', path='/rates')\ndef fx(url, request):\n"
            "    return {'status_code': 200, 'content': {'EUR': 1}}\n\n"
            "def test_rates():\n    with httmock_router(fx):\n"
            "        assert fetch_rates() == {'EUR': 1}\n\n"
            "@httmock_router(fx)\ndef test_again():\n    assert fetch_rates() == {'EUR': 1}\n",
        ),
    )

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        if not _NAMES & self.p.qualified(original.func):
            return updated
        if any(a.keyword is not None or a.star for a in original.args):
            self.p.todo(self.id, original, "HTTMock with unpacked or keyword arguments: "
                        "pass the handlers to httmock_router(...) by hand")
            return updated
        self.p.need_import("asyncify.compat", "httmock_router")
        self.p.changed(self.id)
        return updated.with_changes(func=cst.Name("httmock_router"))
