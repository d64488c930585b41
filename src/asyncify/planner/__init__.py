"""The planner: rank endpoints by their I/O profile and order the rollout in waves."""

from __future__ import annotations

from ._analysis import BlockingCall, EndpointAnalysis, Finding, Step
from ._html import render_html
from ._measure import Disagreement, Measured, ProfileSummary
from ._merge import merge_profile
from ._plan import SCHEMA, Plan, PlannedEndpoint, Wave, build_plan
from ._rank import CATEGORY_WEIGHT, WAVES, Ranking
from ._render import render_json, render_markdown, render_table, to_data

__all__ = [
    "CATEGORY_WEIGHT",
    "SCHEMA",
    "WAVES",
    "BlockingCall",
    "Disagreement",
    "EndpointAnalysis",
    "Finding",
    "Measured",
    "Plan",
    "PlannedEndpoint",
    "ProfileSummary",
    "Ranking",
    "Step",
    "Wave",
    "build_plan",
    "merge_profile",
    "render_html",
    "render_json",
    "render_markdown",
    "render_table",
    "to_data",
]
