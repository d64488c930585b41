"""docs/bridge.md stays true to the code: its examples parse and use only public names."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from asyncify import bridge

DOC = Path(__file__).resolve().parents[2] / "docs" / "bridge.md"
BLOCKS = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)


def test_the_page_has_examples() -> None:
    assert len(BLOCKS) >= 8


@pytest.mark.parametrize("source", BLOCKS, ids=[f"block-{i}" for i in range(len(BLOCKS))])
def test_every_example_parses_and_uses_public_names(source: str) -> None:
    flags = ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
    tree = compile(source, str(DOC), "exec", flags=flags, dont_inherit=True)
    used = {
        node.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "bridge"
    }
    assert used <= set(bridge.__all__)


def test_every_public_name_appears_on_the_page() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert [name for name in bridge.__all__ if name not in text] == []
