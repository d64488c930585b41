"""The plan as one self-contained HTML page: inline CSS, JS and SVG, no external request.

A sortable, filterable table; a chart of endpoints (I/O share vs traffic with a profile,
benefit vs effort without); the waves; the call path of every blocking operation; the
measured data. Rows carry their sort keys in ``data-*`` attributes, so sorting never parses
the rendered text.
"""

from __future__ import annotations

import math
from html import escape
from typing import Any

from ._plan import Plan, PlannedEndpoint

WAVE_COLOURS = {1: "#1b9e77", 2: "#377eb8", 3: "#e6ab02", 4: "#999999"}

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1d2430;
background:#f6f7f9}
header{background:#1d2430;color:#fff;padding:18px 28px}
header h1{margin:0 0 4px;font-size:20px}header p{margin:0;opacity:.8}
main{padding:18px 28px;max-width:1500px}
section{background:#fff;border:1px solid #dde1e6;border-radius:8px;padding:14px 18px;
margin-bottom:18px}
h2{font-size:16px;margin:0 0 10px}
.cards{display:flex;gap:12px;flex-wrap:wrap;margin-bottom:18px}
.card{background:#fff;border:1px solid #dde1e6;border-radius:8px;padding:10px 16px;
min-width:120px}
.card b{display:block;font-size:22px}
.controls{display:flex;gap:12px;align-items:center;margin-bottom:10px;flex-wrap:wrap}
input,select{font:inherit;padding:4px 8px;border:1px solid #bcc3cc;border-radius:4px}
select{max-width:280px}.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%}
th,td{padding:5px 8px;border-bottom:1px solid #eceef1;text-align:left;vertical-align:top}
th{position:sticky;top:0;background:#eef1f5;cursor:pointer;user-select:none;white-space:nowrap}
th[aria-sort=ascending]::after{content:" \\25B2"}th[aria-sort=descending]::after{content:" \\25BC"}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
tr.noio td{color:#8a929c}
code{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,monospace}
.wave{display:inline-block;min-width:18px;text-align:center;border-radius:9px;color:#fff;
font-weight:600;padding:0 6px}
.flag{color:#b3261e;font-weight:600}
details{border-top:1px solid #eceef1;padding:6px 0}summary{cursor:pointer}
ol.path{margin:4px 0 8px 18px;padding:0}ol.path li{margin:0}
.muted{color:#6b7380}
svg text{font:11px system-ui,sans-serif;fill:#3b4350}
"""

_JS = """
(function(){
  var table=document.getElementById('plan');
  var body=table.tBodies[0];
  var heads=table.tHead.rows[0].cells;
  function key(row,col,type){
    var v=row.cells[col].getAttribute('data-v');
    if(v===null){v=row.cells[col].textContent;}
    if(type==='num'){var n=parseFloat(v);return isNaN(n)?-Infinity:n;}
    return v.toLowerCase();
  }
  Array.prototype.forEach.call(heads,function(th,col){
    th.addEventListener('click',function(){
      var type=th.getAttribute('data-type');
      var asc=th.getAttribute('aria-sort')!=='ascending';
      Array.prototype.forEach.call(heads,function(h){h.removeAttribute('aria-sort');});
      th.setAttribute('aria-sort',asc?'ascending':'descending');
      var rows=Array.prototype.slice.call(body.rows);
      rows.sort(function(a,b){
        var x=key(a,col,type),y=key(b,col,type);
        if(x<y){return asc?-1:1;} if(x>y){return asc?1:-1;} return 0;
      });
      rows.forEach(function(r){body.appendChild(r);});
    });
  });
  var text=document.getElementById('filter'),wave=document.getElementById('wave-filter'),
      io=document.getElementById('io-only');
  function filter(){
    var q=text.value.toLowerCase(),w=wave.value,shown=0;
    Array.prototype.forEach.call(body.rows,function(r){
      var ok=(!q||r.textContent.toLowerCase().indexOf(q)>=0)&&
             (!w||r.getAttribute('data-wave')===w)&&
             (!io.checked||r.getAttribute('data-io')==='1');
      r.style.display=ok?'':'none'; if(ok){shown++;}
    });
    document.getElementById('shown').textContent=shown;
  }
  text.addEventListener('input',filter);wave.addEventListener('change',filter);
  io.addEventListener('change',filter);
})();
"""


def render_html(plan: Plan) -> str:
    measured = plan.profile is not None
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        # No favicon request: the page must make no request at all.
        '<link rel="icon" href="data:,">',
        f"<title>asyncify plan: {escape(plan.root)}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<header><h1>asyncify plan</h1><p>{escape(plan.root)} — {plan.files} files, "
        f"{plan.lines:,} lines</p></header><main>",
        _cards(plan),
        _table(plan, measured),
        _chart(plan, measured),
        _waves(plan),
        _profile(plan) if measured else "",
        _evidence(plan),
        _problems(plan),
        f"</main><script>{_JS}</script></body></html>",
    ]
    return "\n".join(p for p in parts if p) + "\n"


def _cards(plan: Plan) -> str:
    cards = [("endpoints", f"{len(plan.endpoints)}"), ("with I/O", f"{plan.with_io}"),
             ("waves", f"{len(plan.waves)}"), ("helpers shared", f"{len(plan.shared)}")]
    if plan.profile is not None:
        cards += [("requests profiled", f"{plan.profile.requests:,.0f}"),
                  ("matched", f"{plan.profile.matched:,.0f}")]
    return '<div class="cards">' + "".join(
        f'<div class="card"><b>{escape(v)}</b><span class="muted">{escape(k)}</span></div>'
        for k, v in cards) + "</div>"


def _wave_badge(wave: int) -> str:
    colour = WAVE_COLOURS.get(wave, "#666")
    return f'<span class="wave" style="background:{colour}">{wave}</span>'


def _io_text(p: PlannedEndpoint) -> str:
    counts = p.analysis.categories
    return ", ".join(f"{k} x{v}" if v > 1 else k for k, v in counts.items()) or "none"


def _num(value: float | None, fmt: str = "{:g}") -> tuple[str, str]:
    if value is None:
        return "", ""
    return str(value), fmt.format(value)


def _table(plan: Plan, measured: bool) -> str:
    columns: list[tuple[str, str]] = [
        ("#", "num"), ("wave", "num"), ("methods", "text"), ("path", "text"),
        ("handler", "text"), ("static I/O", "text"), ("convert", "num"), ("manual", "num"),
        ("score", "num"),
    ]
    if measured:
        columns += [("requests", "num"), ("p50 ms", "num"), ("I/O ms", "num"),
                    ("I/O share", "num"), ("CPU share", "num"), ("priority", "num"),
                    ("flags", "text")]
    columns.append(("verdict", "text"))
    head = "".join(
        f'<th data-type="{t}"{" class=num" if t == "num" else ""}>{escape(n)}</th>'
        for n, t in columns)
    rows = []
    for p in plan.endpoints:
        e, r = p.analysis.endpoint, p.ranking
        cells = [
            _td(str(p.position), str(p.position), True),
            f'<td class="num" data-v="{r.wave}">{_wave_badge(r.wave)}</td>',
            _td(" ".join(e.methods)),
            f'<td><a href="#ep-{p.position}"><code>{escape(e.path)}</code></a></td>',
            f'<td data-v="{escape(e.id)}"><code>{escape(e.id)}</code><br>'
            f'<span class="muted">{escape(e.file)}:{e.line}</span></td>',
            _td(_io_text(p)),
            _td(str(len(p.analysis.convert)), str(len(p.analysis.convert)), True),
            _td(str(len(p.analysis.manual)), str(len(p.analysis.manual)), True),
            _td(f"{r.score:g}", str(r.score), True),
        ]
        if measured:
            m = p.measured
            wall = m.wall_ms.p50 if m is not None and m.wall_ms is not None else None
            values = [
                _num(m.requests if m else None, "{:,.0f}"), _num(wall, "{:.1f}"),
                _num(m.io_ms if m else None, "{:.1f}"),
                _num(m.io_share if m else None, "{:.0%}"),
                _num(m.cpu_share if m else None, "{:.0%}"),
                _num(r.priority, "{:g}"),
            ]
            cells += [_td(text, value, True) for value, text in values]
            flags = [label for label, on in (
                ("CPU-heavy", m is not None and m.cpu_heavy),
                ("write-heavy", m is not None and m.write_heavy),
                (f"{len(p.disagreements)} disagreement(s)", bool(p.disagreements)),
            ) if on]
            cells.append(f'<td class="flag">{escape(", ".join(flags))}</td>')
        cells.append(_td(r.verdict))
        rows.append(
            f'<tr data-wave="{r.wave}" data-io="{int(p.analysis.has_io)}"'
            f'{" class=noio" if not p.analysis.has_io else ""}>{"".join(cells)}</tr>')
    options = "".join(f'<option value="{w.number}">wave {w.number}: {escape(w.title)}</option>'
                      for w in plan.waves)
    return (
        '<section><h2>Ranked endpoints</h2><div class="controls">'
        '<input id="filter" type="search" placeholder="filter: path, handler, verdict…" '
        'aria-label="filter">'
        f'<select id="wave-filter" aria-label="wave"><option value="">all waves</option>'
        f'{options}</select>'
        '<label><input id="io-only" type="checkbox"> only with I/O</label>'
        f'<span class="muted"><span id="shown">{len(plan.endpoints)}</span> shown — '
        'click a column to sort</span></div>'
        f'<div class="scroll"><table id="plan"><thead><tr>{head}</tr></thead>'
        f'<tbody>{"".join(rows)}</tbody></table></div></section>'
    )


def _td(text: str, value: str | None = None, number: bool = False) -> str:
    attr = f' data-v="{escape(value)}"' if value is not None else ""
    return f'<td{" class=num" if number else ""}{attr}>{escape(text)}</td>'


def _chart(plan: Plan, measured: bool) -> str:
    width, height, pad = 760, 340, 52
    points: list[tuple[float, float, PlannedEndpoint]] = []
    if measured:
        title, xlabel, ylabel = ("I/O share vs traffic", "requests (log scale)",
                                 "share of wall time in I/O")
        for p in plan.endpoints:
            m = p.measured
            if m is not None and m.io_share is not None and m.requests > 0:
                points.append((math.log10(m.requests), min(m.io_share, 1.0), p))
        ymax = 1.0
    else:
        title, xlabel, ylabel = ("benefit vs effort (static; pass --profile for traffic)",
                                 "effort", "benefit")
        points = [(float(p.ranking.effort), p.ranking.benefit, p) for p in plan.endpoints]
        ymax = max([y for _, y, _ in points] + [1.0])
    xs = [x for x, _, _ in points] or [0.0]
    xmin, xmax = min(xs), max(xs)
    if xmax - xmin < 1e-9:
        xmin, xmax = xmin - 1, xmax + 1

    def sx(x: float) -> float:
        return pad + (x - xmin) / (xmax - xmin) * (width - 2 * pad)

    def sy(y: float) -> float:
        return height - pad - y / ymax * (height - 2 * pad)

    svg = [f'<svg id="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {width} '
           f'{height}" width="{width}" height="{height}">',
           f'<rect x="{pad}" y="{pad}" width="{width - 2 * pad}" height="{height - 2 * pad}" '
           'fill="#fbfcfd" stroke="#dde1e6"/>']
    for i in range(5):
        value = ymax * i / 4
        y = sy(value)
        label = f"{value:.0%}" if measured else f"{value:g}"
        svg.append(f'<line x1="{pad}" x2="{width - pad}" y1="{y:.1f}" y2="{y:.1f}" '
                   f'stroke="#eceef1"/><text x="{pad - 6}" y="{y + 4:.1f}" '
                   f'text-anchor="end">{label}</text>')
    for i in range(5):
        value = xmin + (xmax - xmin) * i / 4
        label = f"{10 ** value:,.0f}" if measured else f"{value:g}"
        svg.append(f'<text x="{sx(value):.1f}" y="{height - pad + 16}" '
                   f'text-anchor="middle">{label}</text>')
    svg.append(f'<text x="{width / 2}" y="{height - 10}" text-anchor="middle">'
               f"{escape(xlabel)}</text>")
    svg.append(f'<text transform="translate(14 {height / 2}) rotate(-90)" '
               f'text-anchor="middle">{escape(ylabel)}</text>')
    for x, y, p in points:
        e = p.analysis.endpoint
        colour = WAVE_COLOURS.get(p.ranking.wave, "#666")
        svg.append(
            f'<a href="#ep-{p.position}"><circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="6" '
            f'fill="{colour}" fill-opacity=".8" stroke="#fff"><title>'
            f'{escape(" ".join(e.methods))} {escape(e.path)} (wave {p.ranking.wave})'
            "</title></circle></a>")
    for number, colour in WAVE_COLOURS.items():
        svg.append(f'<circle cx="{width - pad - 210 + number * 52}" cy="{pad - 16}" r="5" '
                   f'fill="{colour}"/><text x="{width - pad - 202 + number * 52}" '
                   f'y="{pad - 12}">wave {number}</text>')
    svg.append("</svg>")
    note = "" if points else '<p class="muted">No endpoint has measured I/O yet.</p>'
    return f"<section><h2>{escape(title)}</h2>{''.join(svg)}{note}</section>"


def _waves(plan: Plan) -> str:
    items = []
    for wave in plan.waves:
        helpers = (f'<br><span class="muted">shared helpers first: '
                   f'{", ".join(f"<code>{escape(h)}</code>" for h in wave.helpers)}</span>'
                   if wave.helpers else "")
        items.append(f"<li>{_wave_badge(wave.number)} <b>{escape(wave.title)}</b>: "
                     + ", ".join(f"<code>{escape(i)}</code>" for i in wave.endpoints)
                     + helpers + "</li>")
    return f'<section><h2>Waves</h2><ol style="list-style:none;padding:0">{"".join(items)}' \
           "</ol></section>"


def _profile(plan: Plan) -> str:
    summary = plan.profile
    assert summary is not None
    rows = "".join(
        f"<tr><td><code>{escape(s.path)}</code></td><td>{escape(s.format)}</td>"
        f'<td class="num">{s.records:,}</td><td class="num">{s.malformed:,}</td>'
        f"<td>{escape(', '.join(s.can))}</td><td>{escape(', '.join(s.cannot))}</td></tr>"
        for s in summary.sources)
    unmatched = "".join(
        f'<li><code>{escape(u.method)} {escape(u.route)}</code> — {u.requests:,.0f} requests</li>'
        for u in summary.unmatched[:20])
    window = f", over {summary.window_s:,.0f} s" if summary.window_s else ""
    return (
        "<section><h2>Profile</h2>"
        f"<p>{summary.requests:,.0f} requests{window}; {summary.matched:,.0f} matched an "
        "endpoint.</p><table><thead><tr><th>file</th><th>format</th><th>records</th>"
        "<th>malformed</th><th>tells</th><th>cannot tell</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
        + (f"<p>Routes matching no endpoint:</p><ul>{unmatched}</ul>" if unmatched else "")
        + "</section>"
    )


def _evidence(plan: Plan) -> str:
    out = ["<section><h2>Evidence</h2>"]
    for p in plan.endpoints:
        a, e = p.analysis, p.analysis.endpoint
        body = []
        if not a.blocking:
            body.append('<p class="muted">No blocking I/O reached.</p>')
        for b in a.blocking:
            extra = "".join([
                " in a loop" if b.in_loop else "",
                f" (via hook <code>{escape(b.via_hook)}</code>)" if b.via_hook else "",
                " [heuristic]" if b.confidence == "heuristic" else "",
            ])
            steps = "".join(
                f"<li><code>{escape(s.function)}</code> "
                f'<span class="muted">{escape(s.file)}:{s.line}</span></li>' for s in b.path)
            body.append(
                f"<p><b>{escape(b.category)}</b> <code>{escape(b.operation)}</code> at "
                f"{escape(b.file)}:{b.line}{extra} — replace with {escape(b.replacement)}</p>"
                f'<ol class="path">{steps}</ol>')
        for m in a.manual:
            body.append(f"<p>manual ({escape(m.kind)}): <code>{escape(m.function)}</code> "
                        f"{escape(m.file)}:{m.line}: {escape(m.detail)}</p>")
        for c in a.cpu_hints:
            body.append(f"<p>CPU ({escape(c.kind)}): <code>{escape(c.function)}</code> "
                        f"{escape(c.file)}:{c.line}: {escape(c.detail)}</p>")
        if p.measured is not None:
            body.append(_measured(p))
        for d in p.disagreements:
            body.append(f'<p class="flag">profile vs static ({escape(d.kind)}): '
                        f"{escape(d.detail)}</p>")
        out.append(
            f'<details id="ep-{p.position}"><summary>{_wave_badge(p.ranking.wave)} '
            f"{escape(' '.join(e.methods))} <code>{escape(e.path)}</code> — "
            f"<code>{escape(e.id)}</code></summary>{''.join(body)}</details>")
    out.append("</section>")
    return "".join(out)


def _measured(p: PlannedEndpoint) -> str:
    m = p.measured
    assert m is not None
    facts: list[tuple[str, Any]] = [("requests", f"{m.requests:,.0f}"), ("source", m.formats[0])]
    if m.wall_ms is not None:
        facts.append(("wall ms p50/p95/p99",
                      f"{m.wall_ms.p50:.1f} / {m.wall_ms.p95:.1f} / {m.wall_ms.p99:.1f}"))
    for label, value in (("CPU ms", m.cpu_ms), ("DB ms", m.db_ms), ("DB calls", m.db_calls),
                         ("HTTP ms", m.http_ms), ("HTTP calls", m.http_calls),
                         ("other wait ms", m.other_ms), ("write share", m.write_share)):
        if value is not None:
            facts.append((label, f"{value:g}"))
    return "<p><b>measured</b>: " + "; ".join(
        f"{escape(k)} {escape(str(v))}" for k, v in facts) + "</p>"


def _problems(plan: Plan) -> str:
    if not plan.diagnostics:
        return ""
    items = "".join(f"<li><code>{escape(d.render())}</code></li>" for d in plan.diagnostics)
    return f"<section><h2>Problems</h2><ul>{items}</ul></section>"
