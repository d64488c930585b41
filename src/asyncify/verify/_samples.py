"""The requests verify sends: generated from the route table, or read from a JSONL file."""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from ..errors import UsageError
from ._settings import EndpointSettings, VerifySettings

READS = frozenset({"GET", "HEAD"})
MAX_COMBINATIONS = 8

# Flask converter defaults: small ints hit real rows in a seeded database.
_DEFAULTS: dict[str, list[Any]] = {
    "int": [1, 2],
    "float": [1.5],
    "uuid": ["00000000-0000-0000-0000-000000000001"],
    "path": ["sample/path"],
}
_RULE_PART = re.compile(r"<(?:(?P<converter>\w+)(?:\([^)]*\))?:)?(?P<name>\w+)>")


@dataclass(frozen=True)
class Route:
    """One endpoint of the route table: its id, methods and Flask rule."""

    id: str
    methods: tuple[str, ...]
    rule: str


@dataclass(frozen=True)
class Sample:
    """One request, sent to both sides."""

    method: str
    path: str
    query: tuple[tuple[str, str], ...] = ()
    headers: tuple[tuple[str, str], ...] = ()
    json: Any = None
    form: tuple[tuple[str, str], ...] | None = None
    body: str | None = None
    source: str = ""
    endpoint: str | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def is_read(self) -> bool:
        return self.method in READS

    @property
    def target(self) -> str:
        """Path and query string, as sent."""
        return self.path + ("?" + urlencode(self.query) if self.query else "")

    def describe(self) -> str:
        return f"{self.method} {self.target}"


def _pairs(value: object, what: str) -> tuple[tuple[str, str], ...]:
    if value is None:
        return ()
    if not isinstance(value, Mapping):
        raise UsageError(f"{what} must be an object of strings, got {value!r}")
    out = []
    for key, item in value.items():
        for one in item if isinstance(item, list) else [item]:
            out.append((str(key), _text(one)))
    return tuple(out)


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def fill_rule(rule: str, values: Mapping[str, object]) -> str:
    """``rule`` with each ``<converter:name>`` replaced by ``values[name]``, URL-quoted.

    :raises UsageError: a variable has no value.
    """

    def one(match: re.Match[str]) -> str:
        name = match["name"]
        if name not in values:
            raise UsageError(f"no value for <{name}> in rule {rule!r} (give one in 'params')")
        safe = "/" if match["converter"] == "path" else ""
        return quote(_text(values[name]), safe=safe)

    return _RULE_PART.sub(one, rule)


def rule_values(route: Route, settings: VerifySettings) -> list[dict[str, Any]]:
    """Every combination of sample values for the rule's variables (at most 8)."""
    per_endpoint = settings.endpoints.get(route.id, EndpointSettings()).values
    names, choices = [], []
    for match in _RULE_PART.finditer(route.rule):
        name, converter = match["name"], match["converter"] or "string"
        names.append(name)
        choices.append(per_endpoint.get(name) or settings.values.get(name)
                       or _DEFAULTS.get(converter, ["sample"]))
    combos = itertools.islice(itertools.product(*choices), MAX_COMBINATIONS)
    return [dict(zip(names, combo, strict=True)) for combo in combos]


def from_routes(routes: Iterable[Route], settings: VerifySettings) -> list[Sample]:
    """Requests for each endpoint: each method (plus HEAD for GET), for each combination of
    sample path values and configured query. Writes carry the endpoint's ``json``/``form``."""
    samples = []
    for route in sorted(routes, key=lambda r: (r.rule, r.id)):
        config = settings.endpoints.get(route.id, EndpointSettings())
        if config.skip:
            continue
        methods = [m for m in route.methods if m != "OPTIONS"]
        if "GET" in methods and "HEAD" not in methods:
            methods.append("HEAD")
        for values in rule_values(route, settings):
            path = fill_rule(route.rule, values)
            for method in methods:
                for query in config.queries or [{}]:
                    write = method not in READS
                    samples.append(Sample(
                        method=method, path=path, query=_pairs(query, "query"),
                        json=config.json if write else None,
                        form=_pairs(config.form, "form") if write and config.form else None,
                        source=f"route {route.id}", endpoint=route.id,
                    ))
    return samples


_SAMPLE_KEYS = {"method", "path", "endpoint", "params", "query", "headers", "json", "form",
                "body", "name"}


def read_samples(path: Path, routes: Iterable[Route] = ()) -> list[Sample]:
    """Requests from a JSON Lines file, one object per line::

        {"method": "GET", "path": "/api/books/1", "query": {"currency": "EUR"}}
        {"method": "POST", "endpoint": "shop.checkout", "json": {...}, "headers": {...}}

    ``endpoint`` (an endpoint id) with ``params`` stands for ``path``. Blank lines and lines
    starting with ``#`` are skipped.

    :raises UsageError: the file is unreadable, or a line is malformed or names an unknown
        endpoint (the message gives the line number).
    """
    by_id = {route.id: route for route in routes}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read samples file {str(path)!r}: {exc}") from exc
    samples = []
    for number, line in enumerate(lines, 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        where = f"{path}:{number}"
        try:
            samples.append(_sample(json.loads(line), where, by_id))
        except json.JSONDecodeError as exc:
            raise UsageError(f"{where}: not a JSON object ({exc.msg}); "
                             "each line must be one JSON request sample") from None
        except UsageError as exc:
            raise UsageError(f"{where}: {exc}") from None
    return samples


def _sample(data: object, where: str, routes: Mapping[str, Route]) -> Sample:
    if not isinstance(data, dict):
        raise UsageError(f"expected a JSON object, got {data!r}")
    unknown = sorted(set(data) - _SAMPLE_KEYS)
    if unknown:
        raise UsageError(f"unknown key(s) {unknown!r} (known: {', '.join(sorted(_SAMPLE_KEYS))})")
    method = str(data.get("method", "GET")).upper()
    path = data.get("path")
    endpoint = data.get("endpoint")
    if endpoint is not None:
        if endpoint not in routes:
            raise UsageError(f"unknown endpoint {endpoint!r} (see `asyncify plan` for the ids)")
        if path is None:
            path = fill_rule(routes[endpoint].rule, data.get("params") or {})
    if not isinstance(path, str) or not path.startswith("/"):
        raise UsageError(f"'path' must be a string starting with '/', got {path!r}")
    if sum(key in data for key in ("json", "form", "body")) > 1:
        raise UsageError("give at most one of 'json', 'form' and 'body'")
    body = data.get("body")
    if body is not None and not isinstance(body, str):
        raise UsageError(f"'body' must be a string, got {body!r}")
    return Sample(
        method=method, path=path, query=_pairs(data.get("query"), "'query'"),
        headers=_pairs(data.get("headers"), "'headers'"), json=data.get("json"),
        form=_pairs(data["form"], "'form'") if "form" in data else None, body=body,
        source=str(data.get("name") or where), endpoint=endpoint,
        extra={"has_json": "json" in data},
    )
