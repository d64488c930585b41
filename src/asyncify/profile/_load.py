"""Read measured traffic from three kinds of files and sum it per (method, route).

- ``asyncify``: the middleware's JSON Lines. Traffic, wall, CPU, DB and HTTP time and calls,
  DB writes.
- ``otlp``: OpenTelemetry spans as OTLP JSON Lines (one ``TracesData`` per line, as the
  Collector's ``file`` exporter writes). Traffic and wall time from SERVER spans carrying
  ``http.route``; DB time from spans with ``db.system``/``db.system.name``, HTTP time from
  CLIENT spans, each attributed to its SERVER ancestor (nested I/O spans count once). No CPU
  time, unless a request hook set ``asyncify.cpu_s`` on the server span.
- ``access-log``: combined log format with the request time appended (nginx
  ``$request_time``, gunicorn ``%(L)s``: decimal seconds; an integer is microseconds, as
  gunicorn ``%(D)s``). Traffic and wall time only, per raw path (matched to rules later).

Bad lines are skipped and reported once per file; a run never stops on a profile.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._diagnostics import Diagnostic
from ..errors import UsageError
from ._writer import SCHEMA

FORMATS: dict[str, tuple[str, ...]] = {
    "asyncify": ("traffic", "wall", "cpu", "db", "http", "writes"),
    "otlp": ("traffic", "wall", "db", "http", "writes"),
    "access-log": ("traffic", "wall"),
}
Progress = Callable[[int, int], None]


@dataclass
class Tally:
    """Sums over the sampled requests of one (method, route) in one file format."""

    format: str
    requests: float = 0.0  # estimated: each sample counts 1 / its sample rate
    samples: int = 0
    errors: int = 0  # 5xx answers
    walls: list[float] = field(default_factory=list)
    cpu_s: float = 0.0
    cpu_samples: int = 0
    db_s: float = 0.0
    db_calls: int = 0
    db_writes: int = 0
    http_s: float = 0.0
    http_calls: int = 0

    def merge(self, other: Tally) -> None:
        for name in ("requests", "samples", "errors", "cpu_s", "cpu_samples", "db_s",
                     "db_calls", "db_writes", "http_s", "http_calls"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.walls.extend(other.walls)


@dataclass
class ProfileSource:
    path: str
    format: str
    records: int
    malformed: int


@dataclass
class ProfileData:
    """Every profile file given, summed. ``routes`` is keyed by (method, URL rule);
    ``paths`` (access logs) by (method, raw path without query)."""

    sources: list[ProfileSource] = field(default_factory=list)
    routes: dict[tuple[str, str], list[Tally]] = field(default_factory=dict)
    paths: dict[tuple[str, str], Tally] = field(default_factory=dict)
    unrouted: float = 0.0  # requests that matched no rule (404s, redirects)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    first_ts: float = math.inf
    last_ts: float = -math.inf

    @property
    def requests(self) -> float:
        return (sum(t.requests for ts in self.routes.values() for t in ts)
                + sum(t.requests for t in self.paths.values()) + self.unrouted)

    def _tally(self, fmt: str, method: str, route: str) -> Tally:
        tallies = self.routes.setdefault((method, route), [])
        for tally in tallies:
            if tally.format == fmt:
                return tally
        tallies.append(Tally(fmt))
        return tallies[-1]

    def _seen(self, ts: float) -> None:
        self.first_ts = min(self.first_ts, ts)
        self.last_ts = max(self.last_ts, ts)


class _Bad(ValueError):
    """One malformed line."""


def load_profiles(paths: Iterable[Path], progress: Progress | None = None) -> ProfileData:
    """Read profile files (a directory stands for the ``*.jsonl``/``*.log`` files in it).

    :raises UsageError: a path does not exist.
    """
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.iterdir()
                           if p.is_file() and p.suffix in (".jsonl", ".json", ".log"))
            files += found
        elif path.is_file():
            files.append(path)
        else:
            raise UsageError(f"profile {str(path)!r} does not exist (pass a file written by "
                             "asyncify.profile, an OTLP JSON export or an access log)")
    data = ProfileData()
    if not files:
        data.diagnostics.append(Diagnostic(", ".join(map(str, paths)), "no profile files found",
                                           "expected *.jsonl or *.log files", None, "warning"))
    total = sum(f.stat().st_size for f in files) or 1
    done = 0
    for file in files:
        _load_file(file, data)
        done += file.stat().st_size
        if progress is not None:
            progress(done, total)
    return data


def _load_file(path: Path, data: ProfileData) -> None:
    try:
        handle = path.open(encoding="utf-8", errors="replace")
    except OSError as exc:
        data.diagnostics.append(Diagnostic(str(path), f"cannot read profile: {exc.strerror}"))
        return
    with handle:
        lines = enumerate(handle, 1)
        first = next(((n, line) for n, line in lines if line.strip()), None)
        if first is None:
            data.sources.append(ProfileSource(str(path), "empty", 0, 0))
            data.diagnostics.append(Diagnostic(
                str(path), "empty profile (no records)", "the plan uses static evidence only",
                None, "warning"))
            return
        fmt = _detect(first[1])
        if fmt is None:
            data.sources.append(ProfileSource(str(path), "unknown", 0, 1))
            data.diagnostics.append(Diagnostic(
                str(path), "not a profile: neither asyncify.profile JSON Lines, OTLP JSON nor "
                "an access log", "see docs/profile.md for the accepted formats", first[0]))
            return
        reader = {"asyncify": _read_asyncify, "otlp": _read_otlp,
                  "access-log": _read_access_log}[fmt]
        records, bad = reader(_chain(first, lines), data)
    data.sources.append(ProfileSource(str(path), fmt, records, len(bad)))
    if bad:
        line, reason = bad[0]
        data.diagnostics.append(Diagnostic(
            str(path), f"{len(bad)} malformed {fmt} line(s) skipped (first: {reason})",
            "the rest of the file was used", line, "warning"))
    if records == 0:
        data.diagnostics.append(Diagnostic(
            str(path), f"no request records in this {fmt} file",
            "the plan uses static evidence only", None, "warning"))


def _chain(first: tuple[int, str], rest: Iterator[tuple[int, str]]) -> Iterator[tuple[int, str]]:
    yield first
    yield from rest


def _detect(line: str) -> str | None:
    text = line.strip()
    if text.startswith("{"):
        if '"resourceSpans"' in text:
            return "otlp"
        return "asyncify"
    return "access-log" if _ACCESS.match(text) else None


Bad = list[tuple[int, str]]


# --- asyncify.profile/1 -------------------------------------------------------------------------


def _read_asyncify(lines: Iterator[tuple[int, str]], data: ProfileData) -> tuple[int, Bad]:
    records, bad = 0, []
    for number, line in lines:
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            if not isinstance(row, dict):
                raise _Bad("not a JSON object")
            if row.get("kind") == "process":
                if row.get("schema") != SCHEMA:
                    raise _Bad(f"unknown schema {row.get('schema')!r}, expected {SCHEMA!r}")
                continue
            _add_asyncify(row, data)
            records += 1
        except (ValueError, TypeError, KeyError) as exc:
            bad.append((number, _reason(exc)))
    return records, bad


def _add_asyncify(row: dict[str, Any], data: ProfileData) -> None:
    method, route = row["method"], row.get("route")
    if not isinstance(method, str) or not (route is None or isinstance(route, str)):
        raise _Bad("'method' must be a string and 'route' a string or null")
    wall, cpu = _number(row, "wall_s"), _number(row, "cpu_s")
    db, http = _number(row, "db_s"), _number(row, "http_s")
    rate = _number(row, "sample_rate") if "sample_rate" in row else 1.0
    if not 0 < rate <= 1:
        raise _Bad(f"sample_rate {rate!r} is not in (0, 1]")
    if isinstance(row.get("ts"), int | float):
        data._seen(float(row["ts"]))
    if route is None:
        data.unrouted += 1 / rate
        return
    tally = data._tally("asyncify", method.upper(), route)
    tally.requests += 1 / rate
    tally.samples += 1
    tally.errors += int(row.get("status") or 0) >= 500
    tally.walls.append(wall)
    tally.cpu_s += cpu
    tally.cpu_samples += 1
    tally.db_s += db
    tally.db_calls += int(row.get("db_calls") or 0)
    tally.db_writes += int(row.get("db_writes") or 0)
    tally.http_s += http
    tally.http_calls += int(row.get("http_calls") or 0)


def _number(row: dict[str, Any], key: str) -> float:
    value = row[key]
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise _Bad(f"{key!r} must be a non-negative number, got {value!r}")
    return float(value)


def _reason(exc: Exception) -> str:
    if isinstance(exc, KeyError):
        return f"missing key {exc.args[0]!r}"
    if isinstance(exc, json.JSONDecodeError):
        return f"invalid JSON ({exc.msg})"
    return str(exc)


# --- OTLP JSON ----------------------------------------------------------------------------------

_SERVER, _CLIENT = 2, 3
_KINDS = {"SPAN_KIND_SERVER": _SERVER, "SPAN_KIND_CLIENT": _CLIENT}


@dataclass
class _Span:
    parent: str
    kind: int
    seconds: float
    end: float
    attrs: dict[str, Any]


def _read_otlp(lines: Iterator[tuple[int, str]], data: ProfileData) -> tuple[int, Bad]:
    spans: dict[tuple[str, str], _Span] = {}
    bad: Bad = []
    for number, line in lines:
        if not line.strip():
            continue
        try:
            doc = json.loads(line)
            for resource in doc["resourceSpans"]:
                for scope in resource.get("scopeSpans", ()):
                    for raw in scope.get("spans", ()):
                        start, end = int(raw["startTimeUnixNano"]), int(raw["endTimeUnixNano"])
                        kind = raw.get("kind", 0)
                        spans[(raw["traceId"], raw["spanId"])] = _Span(
                            raw.get("parentSpanId") or "",
                            _KINDS.get(kind, 0) if isinstance(kind, str) else int(kind),
                            max(end - start, 0) / 1e9, end / 1e9,
                            {a["key"]: _value(a.get("value", {}))
                             for a in raw.get("attributes", ())},
                        )
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            bad.append((number, _reason(exc)))
    requests = 0
    for (trace, _), span in spans.items():
        route = span.attrs.get("http.route")
        if span.kind == _SERVER and isinstance(route, str):
            method = span.attrs.get("http.request.method") or span.attrs.get("http.method")
            tally = data._tally("otlp", str(method or "GET").upper(), route)
            tally.requests += 1
            tally.samples += 1
            tally.walls.append(span.seconds)
            status = span.attrs.get("http.response.status_code",
                                    span.attrs.get("http.status_code"))
            tally.errors += isinstance(status, int) and status >= 500
            cpu = span.attrs.get("asyncify.cpu_s")
            if isinstance(cpu, int | float):
                tally.cpu_s += cpu
                tally.cpu_samples += 1
            data._seen(span.end)
            requests += 1
            continue
        io = _io_kind(span)
        if io is None:
            continue
        owner = _server_owner(spans, trace, span.parent)
        if owner is None:
            continue
        server = spans[(trace, owner)]
        route = server.attrs["http.route"]
        method = server.attrs.get("http.request.method") or server.attrs.get("http.method")
        tally = data._tally("otlp", str(method or "GET").upper(), route)
        if io == "db":
            tally.db_s += span.seconds
            tally.db_calls += 1
            statement = (span.attrs.get("db.query.text") or span.attrs.get("db.statement")
                         or span.attrs.get("db.operation.name") or span.attrs.get("db.operation")
                         or "")
            from ._record import is_write

            tally.db_writes += is_write(statement)
        else:
            tally.http_s += span.seconds
            tally.http_calls += 1
    return requests, bad


def _value(value: dict[str, Any]) -> Any:
    for key in ("stringValue", "boolValue", "doubleValue"):
        if key in value:
            return value[key]
    if "intValue" in value:
        return int(value["intValue"])
    return None


def _io_kind(span: _Span) -> str | None:
    if "db.system" in span.attrs or "db.system.name" in span.attrs:
        return "db"
    if span.kind == _CLIENT:
        return "http"
    return None


def _server_owner(spans: dict[tuple[str, str], _Span], trace: str, parent: str) -> str | None:
    """The SERVER span above, unless another I/O span is in between (then it counted)."""
    for _ in range(64):
        span = spans.get((trace, parent))
        if span is None:
            return None
        if span.kind == _SERVER and "http.route" in span.attrs:
            return parent
        if _io_kind(span) is not None:
            return None
        parent = span.parent
    return None


# --- access logs --------------------------------------------------------------------------------

_ACCESS = re.compile(
    r'^\S+ \S+ \S+ \[[^\]]+\] "(?P<method>[A-Z]+) (?P<target>\S+)[^"]*" (?P<status>\d{3}) \S+'
    r'(?: "(?:[^"\\]|\\.)*" "(?:[^"\\]|\\.)*")?(?P<rest>.*)$'
)


def _read_access_log(lines: Iterator[tuple[int, str]], data: ProfileData) -> tuple[int, Bad]:
    records, bad = 0, []
    for number, line in lines:
        if not line.strip():
            continue
        match = _ACCESS.match(line.strip())
        if match is None:
            bad.append((number, "not in combined log format"))
            continue
        wall = None
        for token in match["rest"].split():
            try:
                wall = float(token) if "." in token else int(token) / 1e6
            except ValueError:
                continue
            break
        path = match["target"].split("?", 1)[0]
        key = (match["method"], path)
        tally = data.paths.get(key)
        if tally is None:
            tally = data.paths[key] = Tally("access-log")
        tally.requests += 1
        tally.samples += 1
        tally.errors += int(match["status"]) >= 500
        if wall is not None:
            tally.walls.append(wall)
        records += 1
    return records, bad
