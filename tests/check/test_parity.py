"""Parity with flake8-async: run it on the same corpus; every case it flags in the blocking
categories (ASYNC210-251), check flags too, with the matching rule. The docs' parity table is
this test's output (``ASYNCIFY_REGEN_DOCS=1`` rewrites it)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from asyncify import api

ROOT = Path(__file__).resolve().parents[2]
CORPUS = Path(__file__).parent / "corpus" / "parity"
PAGE = ROOT / "docs" / "check.md"
START, END = "<!-- parity:start -->", "<!-- parity:end -->"
RULE_FOR = {
    "ASYNC210": "ASY600", "ASYNC211": "ASY600", "ASYNC212": "ASY600",
    "ASYNC220": "ASY601", "ASYNC221": "ASY601", "ASYNC222": "ASY601",
    "ASYNC230": "ASY602", "ASYNC231": "ASY602", "ASYNC232": "ASY602",
    "ASYNC240": "ASY603", "ASYNC250": "ASY604", "ASYNC251": "ASY605",
}  # fmt: skip
MISSES = "# flake8-async misses"


@pytest.fixture(scope="module")
def flake8_async() -> list[tuple[str, int, str]]:
    pytest.importorskip("flake8_async")
    done = subprocess.run(
        [sys.executable, "-m", "flake8", "--select", ",".join(RULE_FOR), "--format",
         "%(path)s:%(row)d:%(code)s", "."],
        cwd=CORPUS, capture_output=True, text=True, timeout=60,
    )
    assert done.returncode in (0, 1), done.stderr
    rows = []
    for line in done.stdout.splitlines():
        path, row, code = line.rsplit(":", 2)
        rows.append((Path(path).as_posix().removeprefix("./"), int(row), code))
    return rows


@pytest.fixture(scope="module")
def check() -> set[tuple[str, int, str]]:
    report = api.check(CORPUS, use_cache=False, workers=1)
    return {(f.path, f.line, f.rule) for f in report.findings}


def _misses() -> list[tuple[str, int]]:
    return [
        (path.name, number)
        for path in sorted(CORPUS.glob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if line.rstrip().endswith(MISSES)
    ]


def test_check_flags_every_case_flake8_async_flags(flake8_async, check):
    assert {code for _, _, code in flake8_async} == set(RULE_FOR), "corpus covers every code"
    missing = [(p, n, c) for p, n, c in flake8_async if (p, n, RULE_FOR[c]) not in check]
    assert missing == []


def test_check_flags_what_flake8_async_misses(flake8_async, check):
    theirs = {(p, n) for p, n, _ in flake8_async}
    for place in _misses():
        assert place not in theirs
        assert any((p, n) == place for p, n, _ in check), f"check misses {place}"


def _table(flake8_async: list[tuple[str, int, str]], check: set[tuple[str, int, str]]) -> str:
    theirs = Counter(code for _, _, code in flake8_async)
    ours = Counter(c for p, n, c in flake8_async if (p, n, RULE_FOR[c]) in check)
    rows = ["| case | flake8-async code | flagged by flake8-async | flagged by check | "
            "check rule |", "|---|---|---|---|---|"]
    for code in sorted(RULE_FOR):
        rows.append(f"| direct call | {code} | {theirs[code]} | {ours[code]} | {RULE_FOR[code]} |")
    found = {(p, n): rule for p, n, rule in check}
    extra = Counter(found[m] for m in _misses() if m in found)
    names = {"ASY606": "DB driver in async def", "ASY610": "through sync helpers"}
    for rule in sorted(extra):
        total = sum(1 for m in _misses() if found.get(m) == rule)
        rows.append(f"| {names.get(rule, rule)} | — | 0 | {total} | {rule} |")
    return "\n".join(rows)


def test_docs_parity_table_is_current(flake8_async, check):
    table = _table(flake8_async, check)
    text = PAGE.read_text(encoding="utf-8")
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    fresh = f"{head}{START}\n{table}\n{END}{tail}"
    if os.environ.get("ASYNCIFY_REGEN_DOCS"):
        PAGE.write_text(fresh, encoding="utf-8")
    assert re.search(re.escape(START) + r"\n.*" + re.escape(END), text, re.DOTALL)
    assert fresh == text, "docs/check.md parity table is stale: rerun with ASYNCIFY_REGEN_DOCS=1"
