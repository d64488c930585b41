"""The registry's promises: stable ASY6xx IDs, one-line descriptions, a sorted public face,
and a docs page that documents every rule with a before/after diff, generated from the rules."""

from __future__ import annotations

import re
from pathlib import Path

import asyncify.check
from asyncify.check import RULES

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "check.md"


def test_public_face_is_sorted_and_importable():
    exported = asyncify.check.__all__
    # isort style, as ruff's RUF022 keeps it: CONSTANTS, then Classes, then functions.
    assert exported == sorted(exported, key=lambda n: (
        0 if n.isupper() else 1 if n[0].isupper() else 2, n))
    assert all(hasattr(asyncify.check, name) for name in exported)


def test_rule_ids_are_stable_and_described():
    for rule_id, rule in RULES.items():
        assert re.fullmatch(r"ASY6\d\d", rule_id)
        assert rule.id == rule_id
        assert re.fullmatch(r"[a-z0-9-]+", rule.name)
        assert rule.summary and "\n" not in rule.summary
        assert "# flagged" in rule.before.code
        assert "# flagged" not in rule.after.code
    assert len({r.name for r in RULES.values()}) == len(RULES)


def test_every_rule_is_documented_with_a_diff():
    text = PAGE.read_text(encoding="utf-8")
    for rule_id, rule in RULES.items():
        section = text.partition(f"### {rule_id}: {rule.name}\n")[2]
        assert section, f"{rule_id} has no section in docs/check.md"
        assert "```diff\n" in section.partition("\n### ")[0], f"{rule_id} has no diff block"


def test_docs_page_is_generated_from_the_rules():
    text = PAGE.read_text(encoding="utf-8")
    assert asyncify.check.update_rule_docs(text) == text, (
        "docs/check.md is stale: run python -m asyncify.check._docs docs/check.md")
