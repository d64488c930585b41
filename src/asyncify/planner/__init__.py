"""The planner: rank endpoints by their I/O profile and order the rollout in waves."""

from __future__ import annotations

from ._analysis import BlockingCall, EndpointAnalysis, Finding, Step
from ._plan import SCHEMA, Plan, PlannedEndpoint, Wave, build_plan
from ._rank import CATEGORY_WEIGHT, WAVES, Ranking
from ._render import render_json, render_markdown, render_table, to_data

__all__ = [
    "CATEGORY_WEIGHT",
    "SCHEMA",
    "WAVES",
    "BlockingCall",
    "EndpointAnalysis",
    "Finding",
    "Plan",
    "PlannedEndpoint",
    "Ranking",
    "Step",
    "Wave",
    "build_plan",
    "render_json",
    "render_markdown",
    "render_table",
    "to_data",
]
