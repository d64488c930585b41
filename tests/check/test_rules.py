"""Every rule's own examples, run through the public API: the noop cases first (each with the
reason it must not be flagged), then the flagged ones (exactly the lines marked ``# flagged``)."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from asyncify import api
from asyncify.check import RULES, Example, Rule

FILE = re.compile(r"^# file: (\S+)$", re.MULTILINE)


def _files(example: Example) -> dict[str, str]:
    code = textwrap.dedent(example.code).strip("\n") + "\n"
    parts = FILE.split(code)
    files = {"app.py": parts[0]} if parts[0].strip() else {}
    files.update(dict(zip(parts[1::2], (p.lstrip("\n") for p in parts[2::2]), strict=True)))
    for name in list(files):
        for parent in Path(name).parents:
            if str(parent) != ".":
                files.setdefault(f"{parent}/__init__.py", "")
    return files


def _marked(files: dict[str, str]) -> set[tuple[str, int]]:
    return {
        (name, number)
        for name, text in files.items()
        for number, line in enumerate(text.splitlines(), 1)
        if line.rstrip().endswith("# flagged")
    }


def _cases(flagged: bool) -> list[tuple[Rule, Example]]:
    return [
        (rule, example)
        for rule in (RULES[k] for k in sorted(RULES))
        for example in (rule.flagged_examples if flagged else rule.noop_examples)
    ]


def _id(case: tuple[Rule, Example]) -> str:
    rule, example = case
    return f"{rule.id}-{(example.reason or 'example')[:40]}"


def _found(root: Path, rule: Rule) -> set[tuple[str, int]]:
    report = api.check(root, select_rules=[rule.id], use_cache=False, workers=1)
    return {(f.path, f.line) for f in report.findings}


@pytest.mark.parametrize("case", _cases(flagged=False), ids=_id)
def test_noop(case: tuple[Rule, Example], write_project: Callable[[dict[str, str]], Path]):
    rule, example = case
    assert example.reason, f"{rule.id}: every noop example says why it must not be flagged"
    files = _files(example)
    assert not _marked(files), "a noop example has no # flagged lines"
    assert _found(write_project(files), rule) == set(), example.reason


@pytest.mark.parametrize("case", _cases(flagged=True), ids=_id)
def test_flagged(case: tuple[Rule, Example], write_project: Callable[[dict[str, str]], Path]):
    rule, example = case
    files = _files(example)
    expected = _marked(files)
    assert expected, "a flagged example marks its lines with # flagged"
    assert _found(write_project(files), rule) == expected
