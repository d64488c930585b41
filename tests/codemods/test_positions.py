"""``Pass.position``: where a call is, as Python's ``ast`` says (line; column in UTF-8
bytes, 1-based), which the index's call sites use — for every encoding and line ending."""

from __future__ import annotations

import ast

import libcst as cst
import pytest
from libcst.codemod import CodemodContext
from libcst.metadata import MetadataWrapper

from asyncify.codemods import Pass

SOURCES = {
    "utf-8": 'x = "été"; y = f(1)\nz = g(h("ü"), 2)\n'.encode(),
    "latin-1 cookie": '# -*- coding: latin-1 -*-\nx = "été"; y = f(1)\nz = g(2)\n'.encode(
        "latin-1"),
    "crlf": 'a = 1\r\nb = "é"; c = h(3)\r\nd = f(\r\n    4)\r\n'.encode(),
    "lone cr": b"a = 1\rb = k(3)\r",
    "bom": b"\xef\xbb\xbfa = 1\nb = q('\xc3\xa9', r(2))\n",
    "tabs and continuation": b"if x:\n\tz = f(1, \\\n\t      g(2))\n",
}


@pytest.mark.parametrize("source", SOURCES.values(), ids=SOURCES.keys())
def test_positions_are_ast_positions(source: bytes) -> None:
    expected = sorted((node.func.id, node.lineno, node.col_offset + 1)
                      for node in ast.walk(ast.parse(source))
                      if isinstance(node, ast.Call) and isinstance(node.func, ast.Name))
    module = cst.parse_module(source)
    for given in (source, None):  # the caller's bytes, or rendered from the module
        rewrite = Pass([], CodemodContext(), MetadataWrapper(module, unsafe_skip_copy=True),
                       source=given)
        calls = _Calls(rewrite)
        module.visit(calls)
        assert sorted(calls.found) == expected
        assert rewrite.position(cst.Name("elsewhere")) == (0, 0)


class _Calls(cst.CSTVisitor):
    def __init__(self, rewrite: Pass) -> None:
        super().__init__()
        self.rewrite = rewrite
        self.found: list[tuple[str, int, int]] = []

    def visit_Call(self, node: cst.Call) -> None:
        assert isinstance(node.func, cst.Name)
        self.found.append((node.func.value, *self.rewrite.position(node)))
