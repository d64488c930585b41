"""Renderers: the plan as JSON (a documented, stable schema), Markdown, or a rich table.

Renderers only format the plan; they never read files or re-run analysis.
"""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from ._plan import SCHEMA, Plan, PlannedEndpoint


def to_data(plan: Plan) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "root": plan.root,
        "summary": {
            "files": plan.files,
            "lines": plan.lines,
            "parsed": plan.parsed,
            "endpoints": len(plan.endpoints),
            "with_io": plan.with_io,
            "without_io": len(plan.endpoints) - plan.with_io,
            "seconds": round(plan.seconds, 3),
        },
        "endpoints": [_endpoint(p) for p in plan.endpoints],
        "waves": [
            {"wave": w.number, "title": w.title, "endpoints": list(w.endpoints),
             "helpers": list(w.helpers)}
            for w in plan.waves
        ],
        "shared_helpers": [
            {**vars(plan.helper_steps[f]), "endpoints": sorted(set(ids))}
            for f, ids in plan.shared.items()
        ],
        "diagnostics": [d.to_json() for d in plan.diagnostics],
        "profile": _profile(plan),
    }


def _profile(plan: Plan) -> dict[str, Any] | None:
    summary = plan.profile
    if summary is None:
        return None
    return {
        "requests": summary.requests,
        "matched": summary.matched,
        "window_s": summary.window_s,
        "sources": [{**vars(s), "can": list(s.can), "cannot": list(s.cannot)}
                    for s in summary.sources],
        "unmatched": [vars(u) for u in summary.unmatched],
    }


def _measured(planned: PlannedEndpoint) -> dict[str, Any] | None:
    m = planned.measured
    if m is None:
        return None
    return {**vars(m), "formats": list(m.formats),
            "wall_ms": vars(m.wall_ms) if m.wall_ms is not None else None}


# Renderers read the plan's dataclasses through vars(): they hold plain values only (no
# nested dataclasses but the ones spelled out here), and vars() is far cheaper than asdict().


def _endpoint(planned: PlannedEndpoint) -> dict[str, Any]:
    a, r, e = planned.analysis, planned.ranking, planned.analysis.endpoint
    return {
        "rank": planned.position,
        "wave": r.wave,
        "id": e.id,
        "name": e.name,
        "methods": list(e.methods),
        "path": e.path,
        "view": e.view,
        "handlers": e.handlers,
        "file": e.file,
        "line": e.line,
        "app": e.app,
        "dynamic": e.dynamic,
        "hooks": list(e.hooks),
        "io": a.has_io,
        "categories": a.categories,
        "blocking": [{**vars(b), "path": [vars(s) for s in b.path]} for b in a.blocking],
        "convert": [vars(s) for s in a.convert],
        "shared_helpers": a.shared,
        "manual": [vars(m) for m in a.manual],
        "cpu_hints": [vars(c) for c in a.cpu_hints],
        "score": r.score,
        "benefit": r.benefit,
        "effort": r.effort,
        "verdict": r.verdict,
        "priority": r.priority,
        "measured": _measured(planned),
        "disagreements": [vars(d) for d in planned.disagreements],
    }


def render_json(plan: Plan) -> str:
    # Compact on purpose: the C encoder only runs without indent (8x faster on big plans).
    # Pipe through ``jq`` or ``python -m json.tool`` to read it.
    return json.dumps(to_data(plan), separators=(",", ":")) + "\n"


def _io_text(planned: PlannedEndpoint) -> str:
    counts = planned.analysis.categories
    return ", ".join(f"{k} x{v}" if v > 1 else k for k, v in counts.items()) or "none"


def render_markdown(plan: Plan) -> str:
    out = [
        f"# asyncify plan: {plan.root}",
        "",
        f"{len(plan.endpoints)} endpoints ({plan.with_io} with I/O) in {plan.files} files, "
        f"{plan.lines:,} lines.",
        "",
        "| rank | wave | methods | path | handler | I/O | convert | manual | score | verdict |",
        "|---:|---:|---|---|---|---|---:|---:|---:|---|",
    ]
    for p in plan.endpoints:
        e = p.analysis.endpoint
        out.append(
            f"| {p.position} | {p.ranking.wave} | {' '.join(e.methods)} | `{e.path}` | "
            f"`{e.id}` ({e.file}:{e.line}) | {_io_text(p)} | {len(p.analysis.convert)} | "
            f"{len(p.analysis.manual)} | {p.ranking.score} | {p.ranking.verdict} |"
        )
    out += ["", "## Waves", ""]
    for wave in plan.waves:
        out.append(f"{wave.number}. **{wave.title}**: " + ", ".join(
            f"`{i}`" for i in wave.endpoints))
        if wave.helpers:
            out.append("   - shared helpers converted first: "
                       + ", ".join(f"`{h}`" for h in wave.helpers))
    out += ["", "## Evidence", ""]
    for p in plan.endpoints:
        a, e = p.analysis, p.analysis.endpoint
        out.append(f"### {' '.join(e.methods)} `{e.path}` — `{e.id}`")
        out.append("")
        if not a.blocking:
            out.append("No blocking I/O reached.")
        for b in a.blocking:
            hook = f" (via hook `{b.via_hook}`)" if b.via_hook else ""
            loop = " in a loop" if b.in_loop else ""
            guess = " [heuristic]" if b.confidence == "heuristic" else ""
            out.append(f"- **{b.category}** `{b.operation}` at {b.file}:{b.line}{loop}"
                       f"{hook}{guess}")
            out.append("  - path: " + " → ".join(
                f"`{s.function}` ({s.file}:{s.line})" for s in b.path))
            out.append(f"  - replace with: {b.replacement}")
        for m in a.manual:
            out.append(f"- manual ({m.kind}): `{m.function}` {m.file}:{m.line}: {m.detail}")
        for c in a.cpu_hints:
            out.append(f"- CPU ({c.kind}): `{c.function}` {c.file}:{c.line}: {c.detail}")
        out.append("")
    out += _markdown_measured(plan)
    if plan.diagnostics:
        out += ["## Problems", ""]
        out += [f"- {d.render()}" for d in plan.diagnostics]
        out.append("")
    return "\n".join(out)


def _markdown_measured(plan: Plan) -> list[str]:
    if plan.profile is None:
        return []
    out = ["## Measured", "",
           f"{plan.profile.requests:g} requests profiled, {plan.profile.matched:g} matched.", "",
           "| rank | methods | path | requests | p50 ms | I/O ms | CPU ms | I/O share | "
           "priority | flags |",
           "|---:|---|---|---:|---:|---:|---:|---:|---:|---|"]
    for p in plan.endpoints:
        m, e = p.measured, p.analysis.endpoint
        if m is None:
            continue
        flags = [f for f, on in (("CPU-heavy", m.cpu_heavy), ("write-heavy", m.write_heavy))
                 if on] + [d.kind for d in p.disagreements]
        out.append(
            f"| {p.position} | {' '.join(e.methods)} | `{e.path}` | {m.requests:g} | "
            f"{_opt(m.wall_ms.p50 if m.wall_ms else None)} | {_opt(m.io_ms)} | "
            f"{_opt(m.cpu_ms)} | {_opt(m.io_share)} | {_opt(p.ranking.priority)} | "
            f"{', '.join(flags)} |")
    out.append("")
    for p in plan.endpoints:
        for d in p.disagreements:
            out.append(f"- `{p.analysis.endpoint.id}` ({d.kind}): {d.detail}")
    out.append("")
    return out


def _measured_text(p: PlannedEndpoint) -> str:
    m = p.measured
    if m is None:
        return "not seen"
    parts = [f"{m.requests:,.0f} req"]
    if m.io_ms is not None:
        parts.append(f"I/O {m.io_ms:.1f} ms")
    if m.cpu_share is not None:
        parts.append(f"CPU {m.cpu_share:.0%}")
    if p.disagreements:
        parts.append(f"{len(p.disagreements)} disagreement(s)")
    return ", ".join(parts)


def _opt(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def render_table(plan: Plan, console: Console) -> None:
    table = Table(
        title=f"asyncify plan: {len(plan.endpoints)} endpoints, {plan.with_io} with I/O "
        f"({plan.files} files, {plan.lines:,} lines)",
        title_justify="left",
    )
    for name, justify in [
        ("#", "right"), ("wave", "right"), ("methods", "left"), ("path", "left"),
        ("handler", "left"), ("I/O", "left"), ("convert", "right"), ("manual", "right"),
        ("score", "right"), ("verdict", "left"),
    ]:
        table.add_column(name, justify=justify)  # type: ignore[arg-type]  # rich's literal
    if plan.profile is not None:
        table.add_column("measured", justify="left")
    for p in plan.endpoints:
        e = p.analysis.endpoint
        style = "dim" if not p.analysis.has_io else None
        cells = [
            str(p.position), str(p.ranking.wave), " ".join(e.methods), e.path,
            f"{e.id}\n{e.file}:{e.line}", _io_text(p), str(len(p.analysis.convert)),
            str(len(p.analysis.manual)), f"{p.ranking.score:g}", p.ranking.verdict,
        ]
        if plan.profile is not None:
            cells.append(_measured_text(p))
        table.add_row(*cells, style=style)
    waves = Text()
    for wave in plan.waves:
        waves.append(f"Wave {wave.number} — {wave.title}: ", style="bold")
        waves.append(", ".join(wave.endpoints) + "\n")
        if wave.helpers:
            waves.append("  shared helpers first: " + ", ".join(wave.helpers) + "\n",
                         style="cyan")
    console.print(Group(table, waves))
