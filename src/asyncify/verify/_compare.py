"""Comparing two responses: status, the headers that matter, and normalised bodies."""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import UsageError
from ._settings import VerifySettings

MAX_DIFF_LINES = 40
_JSON_PATH_STEP = re.compile(r"\.\.(\w+)|\.(\w+)|\[(\*|\d+)\]|\[['\"]([^'\"]+)['\"]\]")


@dataclass(frozen=True)
class Reply:
    """What one side answered: a response, or the transport error that replaced it."""

    status: int | None
    headers: Mapping[str, str]
    body: bytes
    error: str | None = None


@dataclass(frozen=True)
class Difference:
    """One field that differs, with both sides and, for bodies, a compact diff."""

    field: str
    legacy: str
    candidate: str
    diff: tuple[str, ...] = ()


def parse_json_path(path: str) -> list[tuple[str, str]]:
    """``$.a[*].b`` → ``[("key", "a"), ("each", ""), ("key", "b")]``; ``..name`` matches at
    any depth.

    :raises UsageError: the path is not of that shape.
    """
    if not path.startswith("$"):
        raise UsageError(f"bad JSON path {path!r}: it must start with '$' (e.g. '$.items[*].id')")
    steps, pos = [], 1
    while pos < len(path):
        match = _JSON_PATH_STEP.match(path, pos)
        if match is None:
            raise UsageError(f"bad JSON path {path!r} at {path[pos:]!r}: use .key, ..key, "
                             "[N], [*] or ['key']")
        deep, key, index, quoted = match.groups()
        if deep:
            steps.append(("deep", deep))
        elif index == "*":
            steps.append(("each", ""))
        elif index is not None:
            steps.append(("index", index))
        else:
            steps.append(("key", key or quoted))
        pos = match.end()
    if not steps:
        raise UsageError(f"bad JSON path {path!r}: '$' alone would ignore the whole body")
    return steps


def drop_path(value: Any, steps: list[tuple[str, str]]) -> Any:
    """``value`` without what ``steps`` selects (a copy; ``value`` is left alone)."""
    if not steps:
        return value
    (kind, arg), rest = steps[0], steps[1:]
    if kind == "deep":
        value = drop_path(value, [("key", arg), *rest])
        if isinstance(value, dict):
            return {k: drop_path(v, steps) for k, v in value.items()}
        if isinstance(value, list):
            return [drop_path(v, steps) for v in value]
        return value
    if kind == "key" and isinstance(value, dict):
        if arg not in value:
            return value
        if not rest:
            return {k: v for k, v in value.items() if k != arg}
        return {**value, arg: drop_path(value[arg], rest)}
    if kind == "each" and isinstance(value, list):
        return [] if not rest else [drop_path(v, rest) for v in value]
    if kind == "each" and isinstance(value, dict):
        return {} if not rest else {k: drop_path(v, rest) for k, v in value.items()}
    if kind == "index" and isinstance(value, list) and int(arg) < len(value):
        i = int(arg)
        kept = [] if not rest else [drop_path(value[i], rest)]
        return value[:i] + kept + value[i + 1:]
    return value


class Normaliser:
    """Turns a body into what is compared: bytes by default; parsed JSON with ignored paths
    removed when ``json`` or ``ignore_paths`` is set; regex replacements first."""

    def __init__(self, settings: VerifySettings) -> None:
        self.json = settings.json or bool(settings.ignore_paths)
        self.paths = [parse_json_path(p) for p in settings.ignore_paths]
        try:
            self.replace = [(re.compile(r.pattern.encode()), r.replacement.encode())
                            for r in settings.replace]
        except re.error as exc:
            raise UsageError(f"bad verify.replace pattern: {exc} (fix the regular expression)")\
                from None

    def __call__(self, body: bytes) -> tuple[str, Any]:
        """``("json", value)`` or ``("bytes", body)`` after normalising."""
        for pattern, replacement in self.replace:
            body = pattern.sub(replacement, body)
        if self.json and body.strip():
            try:
                value = json.loads(body)
            except ValueError:
                return "bytes", body
            for steps in self.paths:
                value = drop_path(value, steps)
            return "json", value
        return "bytes", body


def _show(body: tuple[str, Any]) -> list[str]:
    kind, value = body
    if kind == "json":
        return json.dumps(value, indent=1, sort_keys=True, ensure_ascii=False).splitlines()
    text = value.decode("utf-8", errors="backslashreplace")
    return text.splitlines() or [""]


def compact_diff(legacy: list[str], candidate: list[str]) -> tuple[str, ...]:
    lines = list(difflib.unified_diff(legacy, candidate, "legacy", "candidate", n=1,
                                      lineterm=""))
    if len(lines) > MAX_DIFF_LINES:
        lines = [*lines[:MAX_DIFF_LINES], f"... {len(lines) - MAX_DIFF_LINES} more diff lines"]
    return tuple(lines)


def _summary(body: bytes) -> str:
    text = body[:200].decode("utf-8", errors="backslashreplace")
    more = f" … ({len(body)} bytes)" if len(body) > 200 else ""
    return repr(text) + more


def compare(legacy: Reply, candidate: Reply, settings: VerifySettings,
            normalise: Normaliser) -> list[Difference]:
    """The differences between two replies to the same request (empty when they agree)."""
    if legacy.error or candidate.error:
        if legacy.error == candidate.error:
            return []
        return [Difference("transport", legacy.error or f"HTTP {legacy.status}",
                           candidate.error or f"HTTP {candidate.status}")]
    found = []
    if legacy.status != candidate.status:
        found.append(Difference("status", str(legacy.status), str(candidate.status)))
    for name in settings.compared_headers:
        mine, theirs = legacy.headers.get(name), candidate.headers.get(name)
        if mine != theirs:
            found.append(Difference(f"header {name}", repr(mine), repr(theirs)))
    left, right = normalise(legacy.body), normalise(candidate.body)
    if left != right:
        found.append(Difference("body", _summary(legacy.body), _summary(candidate.body),
                                compact_diff(_show(left), _show(right))))
    return found
