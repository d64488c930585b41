"""``asyncify check``: blocking calls reachable from async code, through sync helpers too.

Each rule lives in its own module under :mod:`asyncify.check.rules`, registered by a stable
ID with its examples; :func:`asyncify.api.check` runs them over the project's call graph.
"""

from __future__ import annotations

from ._baseline import read_baseline, subtract, write_baseline
from ._docs import update as update_rule_docs
from ._engine import find_all, select
from ._model import RULES, Example, Finding, Rule, Step
from ._report import CheckReport, render_json, render_sarif, render_text
from ._settings import CheckSettings, load_settings

__all__ = [
    "RULES",
    "CheckReport",
    "CheckSettings",
    "Example",
    "Finding",
    "Rule",
    "Step",
    "find_all",
    "load_settings",
    "read_baseline",
    "render_json",
    "render_sarif",
    "render_text",
    "select",
    "subtract",
    "update_rule_docs",
    "write_baseline",
]
