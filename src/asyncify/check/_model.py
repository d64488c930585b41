"""What a rule is, what it finds, and the registry that holds rules by stable ID."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._context import Context


@dataclass(frozen=True, slots=True)
class Step:
    """One hop of the call path that leads to a finding."""

    path: str
    line: int
    function: str
    note: str


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem at one place. ``key`` names it without line numbers (for baselines)."""

    rule: str
    path: str
    line: int
    col: int
    message: str
    function: str
    key: str
    steps: tuple[Step, ...] = ()


@dataclass(frozen=True, slots=True)
class Example:
    """A snippet for a rule's tests and docs. ``# file: name.py`` lines split it into files;
    in an invalid example, each line ending in ``# flagged`` is where the rule must report."""

    code: str
    reason: str = ""


@dataclass(frozen=True)
class Rule:
    id: str
    name: str
    summary: str  # one line
    flake8_async: str  # the equivalent flake8-async / ruff ASYNC codes, or "" for none
    before: Example  # flagged; shown as the "-" side of the docs' diff
    after: Example  # the fix; shown as the "+" side
    find: Callable[[Context], Iterable[Finding]]
    valid: tuple[Example, ...] = field(default=())
    invalid: tuple[Example, ...] = field(default=())

    @property
    def noop_examples(self) -> tuple[Example, ...]:
        return (self.after, *self.valid)

    @property
    def flagged_examples(self) -> tuple[Example, ...]:
        return (self.before, *self.invalid)


RULES: dict[str, Rule] = {}


def register(rule: Rule) -> Rule:
    if rule.id in RULES:
        raise ValueError(f"rule ID {rule.id!r} is registered twice (IDs are stable; pick a new one)")
    RULES[rule.id] = rule
    return rule
