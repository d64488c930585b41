"""The docs stay true to the code: the site builds, quoted output is real output, and the JSON
schema table names every key the plan emits."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from asyncify import api
from asyncify.planner import render_markdown, to_data

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
EXCERPT = re.compile(r"<!-- excerpt: asyncify plan (\S+) --format markdown -->\n```\w*\n(.*?)```",
                     re.DOTALL)


def test_site_builds_strictly(tmp_path):
    built = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir",
         str(tmp_path / "site")],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert built.returncode == 0, built.stderr


@pytest.mark.parametrize("page", sorted(p.name for p in DOCS.glob("*.md")))
def test_quoted_plan_output_is_real(page):
    text = (DOCS / page).read_text()
    for project, block in EXCERPT.findall(text):
        output = render_markdown(api.plan(ROOT / project, use_cache=False))
        output = output.replace(f"# asyncify plan: {ROOT / project}", "")
        for line in block.strip().splitlines():
            assert line in output.splitlines(), f"{page}: {line!r} is not in the real output"


def test_json_schema_table_is_complete():
    data = to_data(api.plan(ROOT / "sample_projects" / "bookshop", use_cache=False))
    text = (DOCS / "plan.md").read_text()
    documented = set(re.findall(r"^\| `([a-z_]+)`", text, re.MULTILINE))
    documented |= {k for group in re.findall(r"^\| `(\w+)`, `(\w+)`(?:, `(\w+)`)?", text,
                                              re.MULTILINE) for k in group if k}
    assert set(data) <= documented
    assert set(data["endpoints"][0]) <= documented
    for key in data["endpoints"][0]["blocking"][0]:
        assert key in text, f"blocking key {key!r} is not documented"
