"""Run the registered rules over a call graph: findings, suppressions, selection."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from .._callgraph import CallGraph
from ..errors import UsageError
from . import rules as _rules  # noqa: F401  (registers every rule)
from ._context import Context
from ._model import RULES, Finding


def find_all(graph: CallGraph) -> list[Finding]:
    """Every rule's findings, minus those silenced by ``# asyncify: ignore[...]``, sorted."""
    ctx = Context(graph)
    suppressions = {
        m.file.relpath: m.summary.suppressions
        for m in graph.resolver.index.modules.values() if m.summary.suppressions
    }
    found: set[Finding] = set()
    for rule in RULES.values():
        for finding in rule.find(ctx):
            if not _silenced(finding, suppressions):
                found.add(finding)
    return sorted(found, key=lambda f: (f.path, f.line, f.col, f.rule, f.message))


def _silenced(finding: Finding, table: dict[str, dict[int, tuple[str, ...]]]) -> bool:
    places = [(finding.path, finding.line)]
    if finding.steps:
        # A suppression at the blocking call itself covers every path that reaches it.
        places.append((finding.steps[-1].path, finding.steps[-1].line))
    for path, line in places:
        codes = table.get(path, {}).get(line)
        if codes is not None and (not codes or finding.rule in codes):
            return True
    return False


def select(
    findings: Iterable[Finding], only: Sequence[str] = (), skip: Sequence[str] = ()
) -> list[Finding]:
    """Keep findings whose rule starts with one of ``only`` (all when empty) and none of
    ``skip``. :raises UsageError: a code matches no registered rule."""
    for code in (*only, *skip):
        if not any(rule.startswith(code) for rule in RULES):
            raise UsageError(
                f"unknown rule code {code!r} (known: {', '.join(sorted(RULES))}; a prefix "
                "such as 'ASY60' selects a group)")
    return [
        f for f in findings
        if (not only or f.rule.startswith(tuple(only))) and not f.rule.startswith(tuple(skip))
    ]
