"""ASY504: any other blocking call the catalog knows (sockets, SMTP, input, Redis…) inside
async code gets a TODO naming the async replacement; nothing is guessed."""

from __future__ import annotations

import functools

import libcst as cst

from .._rule import Example, Rule, register
from ._catalog_names import catalog

_HANDLED_ELSEWHERE = frozenset({"sleep", "subprocess", "file", "cpu", "http", "db"})


@functools.cache
def _trigger_words() -> frozenset[bytes]:
    """The first part of every catalog name this rule covers (``socket``, ``smtplib``,
    ``redis``, ``input``…): a file mentioning none of them cannot need it."""
    ops = [*catalog().operations.values(), *catalog().wildcards.values()]
    return frozenset(
        (op.name.removeprefix("builtins.").split(".")[0]).encode()
        for op in ops if op.category not in _HANDLED_ELSEWHERE
    )


@register
class OtherBlockingInAsync(Rule):
    id = "ASY504"
    title = "other blocking calls inside async code get a TODO with the async replacement"
    examples = (
        Example(
            "import smtplib\n\ndef send(msg):\n    smtplib.SMTP('mail').send_message(msg)\n",
            "import smtplib\n\ndef send(msg):\n    smtplib.SMTP('mail').send_message(msg)\n",
            why="sync code may block",
        ),
        Example(
            "import socket\n\nasync def resolve(host):\n    return socket.gethostbyname(host)\n",
            "import socket\n\nasync def resolve(host):\n"
            "    # TODO[asyncify ASY504]: socket.gethostbyname blocks the event loop (socket); "
            "use asyncio.open_connection / loop.getaddrinfo — "
            "https://asyncify.readthedocs.io/en/latest/rules/#asy504\n"
            "    return socket.gethostbyname(host)\n",
        ),
    )

    @classmethod
    def applies_to(cls, source: bytes, imported: set[str]) -> bool:
        return b"async" in source and any(word in source for word in _trigger_words())

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        if not self.p.in_async():
            return updated
        for name in sorted(self.p.qualified(original.func)):
            op = catalog().operation(name)
            if op is not None and op.category not in _HANDLED_ELSEWHERE:
                self.p.todo(self.id, original, f"{name} blocks the event loop ({op.category}); "
                            f"use {op.replacement}")
                break
        return updated
