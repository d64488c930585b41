"""The result of a check run, and its three renderings: text, JSON and SARIF 2.1.0."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import __version__
from .._diagnostics import Diagnostic
from ._model import RULES, Finding

DOCS = "https://asyncify.readthedocs.io/en/latest/check/"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


@dataclass(slots=True)
class CheckReport:
    root: str
    findings: list[Finding]
    diagnostics: list[Diagnostic] = field(default_factory=list)
    files: int = 0
    lines: int = 0
    baselined: int = 0  # findings hidden because the baseline already has them
    seconds: float = 0.0
    parsed: int = 0


def render_text(report: CheckReport) -> str:
    """``path:line:col ID message``, one per line (editors and CI parse this)."""
    return "".join(f"{f.path}:{f.line}:{f.col} {f.rule} {f.message}\n" for f in report.findings)


def render_json(report: CheckReport) -> str:
    data = {
        "version": 1,
        "root": report.root,
        "files": report.files,
        "lines": report.lines,
        "baselined": report.baselined,
        "counts": dict(sorted(Counter(f.rule for f in report.findings).items())),
        "findings": [_finding_data(f) for f in report.findings],
        "diagnostics": [d.render() for d in report.diagnostics],
    }
    return json.dumps(data, indent=2) + "\n"


def _finding_data(f: Finding) -> dict[str, Any]:
    return {
        "rule": f.rule, "path": f.path, "line": f.line, "col": f.col, "message": f.message,
        "function": f.function, "key": f.key,
        "steps": [{"path": s.path, "line": s.line, "function": s.function, "note": s.note}
                  for s in f.steps],
    }


def render_sarif(report: CheckReport) -> str:
    """One SARIF 2.1.0 run: every registered rule, every finding with its call path as a
    code flow, fingerprinted by its line-free key."""
    ids = sorted(RULES)
    rules = [{
        "id": rule_id,
        "name": RULES[rule_id].name,
        "shortDescription": {"text": RULES[rule_id].summary},
        "helpUri": f"{DOCS}#{rule_id.lower()}",
        "defaultConfiguration": {"level": "error"},
    } for rule_id in ids]
    results = [_result(f, ids.index(f.rule)) for f in report.findings]
    notifications = [{
        "level": "error" if d.severity == "error" else "warning",
        "message": {"text": d.render()},
    } for d in report.diagnostics]
    run: dict[str, Any] = {
        "tool": {"driver": {
            "name": "asyncify check", "version": __version__, "informationUri": DOCS,
            "rules": rules,
        }},
        "originalUriBaseIds": {"%SRCROOT%": {"uri": _dir_uri(report.root)}},
        "invocations": [{
            "executionSuccessful": True,
            "toolExecutionNotifications": notifications,
        }],
        "results": results,
    }
    return json.dumps({"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]},
                      indent=2) + "\n"


def _location(path: str, line: int, col: int | None, text: str | None = None) -> dict[str, Any]:
    region: dict[str, Any] = {"startLine": line}
    if col is not None:
        region["startColumn"] = col
    location: dict[str, Any] = {"physicalLocation": {
        "artifactLocation": {"uri": path, "uriBaseId": "%SRCROOT%"}, "region": region}}
    if text is not None:
        location["message"] = {"text": text}
    return location


def _result(f: Finding, index: int) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": f.rule,
        "ruleIndex": index,
        "level": "error",
        "message": {"text": f.message},
        "locations": [_location(f.path, f.line, f.col)],
        "partialFingerprints": {"asyncifyKey/v1": f.key},
    }
    if f.steps:
        result["codeFlows"] = [{"threadFlows": [{"locations": [
            {"location": _location(s.path, s.line, None, f"{s.function}: {s.note}")}
            for s in f.steps
        ]}]}]
    return result


def _dir_uri(root: str) -> str:
    return Path(root).resolve().as_uri().rstrip("/") + "/"
