"""A verify report as text (each mismatch with both sides) or JSON."""

from __future__ import annotations

import json
from typing import Any

from ._run import VerifyReport


def render_text(report: VerifyReport) -> str:
    out = []
    for mismatch in report.mismatches:
        sample = mismatch.sample
        out.append(f"MISMATCH {sample.describe()}  [{sample.source}]")
        for diff in mismatch.differences:
            if diff.diff:
                out.append(f"  {diff.field}: legacy {diff.legacy}")
                out.append(f"  {' ' * len(diff.field)}  candidate {diff.candidate}")
                out.extend("    " + line for line in diff.diff)
            else:
                out.append(f"  {diff.field}: legacy {diff.legacy}, candidate {diff.candidate}")
    return "".join(line + "\n" for line in out)


def to_data(report: VerifyReport) -> dict[str, Any]:
    return {
        "legacy": report.legacy,
        "candidate": report.candidate,
        "sent": report.sent,
        "skipped_writes": report.skipped_writes,
        "mismatches": [
            {
                "method": m.sample.method,
                "target": m.sample.target,
                "source": m.sample.source,
                "endpoint": m.sample.endpoint,
                "differences": [
                    {"field": d.field, "legacy": d.legacy, "candidate": d.candidate,
                     "diff": list(d.diff)}
                    for d in m.differences
                ],
            }
            for m in report.mismatches
        ],
    }


def render_json(report: VerifyReport) -> str:
    return json.dumps(to_data(report), indent=1, ensure_ascii=False) + "\n"


def summary(report: VerifyReport) -> str:
    skipped = (f", {report.skipped_writes} write(s) skipped (no scratch_template)"
               if report.skipped_writes else "")
    return (f"asyncify verify: {report.sent} request(s) sent to both sides, "
            f"{len(report.mismatches)} mismatch(es){skipped}")
