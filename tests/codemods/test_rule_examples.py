"""Every registered rule's own examples, as tests: the no-op cases first (each says why it
must not change), then the transformed ones. Every output parses, and a second run over it
changes nothing."""

from __future__ import annotations

import ast

import pytest

from asyncify._scope import example_context
from asyncify.codemods import REGISTRY, transform

CASES = [
    pytest.param(rule.id, n, example, id=f"{rule.id}-{'noop' if example.why else 'rewrite'}-{n}")
    for rule in REGISTRY
    for n, example in enumerate(sorted(rule.examples, key=lambda e: not e.why))
]


ALL = [rule.id for rule in REGISTRY]


def converts(operation: str) -> bool:
    return any(rule.converts_op(operation) for rule in REGISTRY)


def run(rule_id: str, source: str, propagate: bool = False, with_rules=()):
    if not propagate:
        return transform("example.py", source.encode(), [*with_rules, rule_id])
    # Await propagation examples show the whole pipeline: the project analysis decides,
    # every rule carries it out.
    context = example_context(source, converts)
    return transform("example.py", source.encode(), ALL, context)


@pytest.mark.parametrize(("rule_id", "n", "example"), CASES)
def test_example(rule_id, n, example):
    outcome = run(rule_id, example.before, example.propagate, example.with_rules)
    if example.why:
        assert example.after == example.before, "a no-op example must not change"
        assert outcome.status == "unchanged", f"{example.why}: {outcome.new!r}"
        return
    assert outcome.status == "changed", outcome.reason
    assert outcome.new.decode() == example.after
    ast.parse(outcome.new)
    again = run(rule_id, outcome.new.decode(), example.propagate, example.with_rules)
    assert again.status == "unchanged", f"second run changed it:\n{again.new.decode()}"


def test_every_rule_has_a_rewrite_and_a_noop_example():
    for rule in REGISTRY:
        kinds = {bool(e.why) for e in rule.examples}
        assert kinds == {True, False}, f"{rule.id} needs both kinds of example"


def test_rules_page_is_generated_and_current():
    from pathlib import Path

    from asyncify.codemods._docs import render

    page = Path(__file__).resolve().parents[2] / "docs" / "rules.md"
    assert page.read_text() == render(), "regenerate: python -m asyncify.codemods._docs > docs/rules.md"
    for rule in REGISTRY:
        assert f"### {rule.id}\n" in page.read_text(), f"{rule.id} is undocumented"
