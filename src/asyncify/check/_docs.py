"""The rule reference in docs/check.md, generated from the rules' own examples.

Regenerate with ``python -m asyncify.check._docs docs/check.md`` (a test fails on drift).
"""

from __future__ import annotations

import difflib
import re
import sys
from pathlib import Path

from . import rules as _rules  # noqa: F401  (registers every rule)
from ._model import RULES, Example, Rule

START, END = "<!-- rules:start -->", "<!-- rules:end -->"
_MARK = re.compile(r"\s*# flagged$")


def clean(example: Example) -> str:
    """The example's code as a user would write it (without the test's ``# flagged`` marks)."""
    return "\n".join(_MARK.sub("", line) for line in example.code.strip("\n").splitlines())


def render_rule(rule: Rule) -> str:
    before, after = clean(rule.before).splitlines(), clean(rule.after).splitlines()
    diff = list(difflib.unified_diff(before, after, lineterm="", n=max(len(before), len(after))))
    parity = f"flake8-async / ruff: {rule.flake8_async}." if rule.flake8_async else (
        "No flake8-async or ruff equivalent.")
    out = [f"### {rule.id}: {rule.name}", "", rule.summary, "", parity, "", "```diff",
           *diff[3:], "```", ""]
    flagged = [e for e in rule.invalid]
    if flagged:
        out += ["Also flagged:", ""]
        for example in flagged:
            out += ([f"- {example.reason}", ""] if example.reason else []) + [
                "```python", clean(example), "```", ""]
    out += ["Not flagged:", ""]
    for example in rule.noop_examples[1:] or rule.noop_examples:
        out += [f"- {example.reason}", "", "```python", clean(example), "```", ""]
    return "\n".join(out)


def render_rules() -> str:
    table = ["| ID | name | what | flake8-async |", "|---|---|---|---|"]
    table += [f"| [{r.id}](#{r.id.lower()}-{r.name}) | `{r.name}` | {r.summary} | "
              f"{r.flake8_async or '—'} |" for r in (RULES[k] for k in sorted(RULES))]
    sections = [render_rule(RULES[k]) for k in sorted(RULES)]
    return "\n".join([START, "", *table, "", *sections, END])


def update(text: str) -> str:
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    return f"{head}{render_rules()}{tail}"


if __name__ == "__main__":
    page = Path(sys.argv[1])
    page.write_text(update(page.read_text(encoding="utf-8")), encoding="utf-8")
