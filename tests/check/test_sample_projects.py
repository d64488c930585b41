"""A hand-written async twin of bookshop helpers: clean when fully migrated; each blocking
call that a half-migrated copy still makes is reported with its call path."""

from __future__ import annotations

from pathlib import Path

from asyncify import api

CORPUS = Path(__file__).parent / "corpus"


def test_fully_migrated_twin_is_clean():
    report = api.check(CORPUS / "bookshop_async", use_cache=False, workers=1)
    assert report.findings == []
    assert report.diagnostics == []


def test_half_migrated_twin_reports_each_blocking_call_with_its_path():
    report = api.check(CORPUS / "bookshop_half", use_cache=False, workers=1)
    found = {
        (f.rule, f.path, f.line, f.steps[-1].path, f.steps[-1].line,
         tuple(s.function for s in f.steps))
        for f in report.findings
    }
    catalog = "shop/services/catalog.py"
    excerpts = "shop/services/excerpts.py"
    assert found == {
        ("ASY610", "shop/views.py", 15, catalog, 19, ("book", "get_book", "_fetch_one")),
        ("ASY610", "shop/views.py", 15, catalog, 20, ("book", "get_book", "_fetch_one")),
        ("ASY610", "shop/views.py", 19, excerpts, 12, ("book", "read_excerpt")),
    }
    assert "via get_book -> _fetch_one" in report.findings[0].message
