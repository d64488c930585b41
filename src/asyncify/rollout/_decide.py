"""The per-request decision: which implementation serves, and whether to shadow.

Order: retired → kill switch → deny list → allow list → stage (canary: sticky bucket on the
unit key; no key → legacy). Any error → legacy, the code path that was serving before.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import parse_qs

from ._bucket import in_rollout
from ._flags import Flag, FlagError, Stage

log = logging.getLogger("asyncify.rollout")

LEGACY = "legacy"
ASYNC = "async"


@dataclass(frozen=True, slots=True)
class Decision:
    """``variant`` serves the request; ``shadow`` also runs the async variant on a copy.
    ``reason`` says which rule decided (for logs, metrics and OpenFeature)."""

    variant: str
    reason: str
    shadow: bool = False


def decide(flag: Flag | None, unit: str | None) -> Decision:
    """The decision for one request to ``flag``'s endpoint by the unit ``unit``."""
    try:
        return _decide(flag, unit)
    except Exception:  # the decision must never fail a request
        log.exception("asyncify rollout: decision failed for %r; serving legacy",
                      getattr(flag, "key", None))
        return Decision(LEGACY, "error")


# Enum members as module constants: a class attribute lookup per comparison adds up on the
# request path.
_LEGACY_STAGE, _SHADOW, _ASYNC_STAGE, _RETIRED = (
    Stage.legacy, Stage.shadow, Stage.async_, Stage.retired)


# Decisions are immutable: one instance of each is enough.
_NO_FLAG, _RETIRED_D, _KILLED, _DENIED, _ALLOWED = (
    Decision(LEGACY, "no-flag"), Decision(ASYNC, "retired"), Decision(LEGACY, "killed"),
    Decision(LEGACY, "denied"), Decision(ASYNC, "allowed"))
_BY_STAGE = {_LEGACY_STAGE: Decision(LEGACY, "stage"),
             _SHADOW: Decision(LEGACY, "stage", shadow=True),
             _ASYNC_STAGE: Decision(ASYNC, "stage")}
_NO_KEY, _IN, _OUT = (Decision(LEGACY, "no-key"), Decision(ASYNC, "bucket"),
                      Decision(LEGACY, "bucket"))


def needs_unit(flag: Flag | None) -> bool:
    """Whether deciding for ``flag`` looks at the unit key at all (extracting it costs)."""
    return flag is not None and bool(flag.stage is Stage.canary or flag.allow or flag.deny)


def _decide(flag: Flag | None, unit: str | None) -> Decision:
    if flag is None:
        return _NO_FLAG
    stage = flag.stage
    if stage is _RETIRED:
        return _RETIRED_D
    if flag.killed:
        return _KILLED
    if unit is not None:
        if unit in flag.deny:
            return _DENIED
        if unit in flag.allow:
            return _ALLOWED
    by_stage = _BY_STAGE.get(stage)
    if by_stage is not None:
        return by_stage
    if unit is None:
        return _NO_KEY
    return _IN if in_rollout(flag.key, unit, flag.percent) else _OUT


Scope = Mapping[str, Any]
Extractor = Callable[[Scope], str | None]


def _header(name: str) -> Extractor:
    wanted = name.lower().encode("latin-1")

    def extract(scope: Scope) -> str | None:
        for key, value in scope.get("headers", ()):
            if key == wanted and value:
                return str(value.decode("latin-1"))
        return None

    return extract


def _cookie(name: str) -> Extractor:
    cookies = _header("cookie")

    def extract(scope: Scope) -> str | None:
        raw = cookies(scope)
        if raw is None or name not in raw:
            return None
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(raw)
        except CookieError:
            return None
        morsel = jar.get(name)
        return morsel.value if morsel is not None and morsel.value else None

    return extract


def _query(name: str) -> Extractor:
    def extract(scope: Scope) -> str | None:
        raw = scope.get("query_string", b"")
        if not raw:
            return None
        values = parse_qs(raw.decode("latin-1")).get(name)
        return values[0] if values and values[0] else None

    return extract


_SOURCES: dict[str, Callable[[str], Extractor]] = {
    "header": _header, "cookie": _cookie, "query": _query,
}


def unit_key(sources: Sequence[str | Extractor]) -> Extractor:
    """An extractor trying ``sources`` in order, first non-empty value wins: each is
    ``"header:X-User-Id"``, ``"cookie:session"``, ``"query:user"`` or a callable on the ASGI
    scope.

    :raises FlagError: a source string is not ``kind:name`` with a known kind.
    """
    chain: list[Extractor] = []
    for source in sources:
        if callable(source):
            chain.append(source)
            continue
        kind, _, name = source.partition(":")
        if kind not in _SOURCES or not name:
            raise FlagError(f"bad unit key source {source!r}: use header:NAME, cookie:NAME or "
                            "query:NAME (or a callable taking the ASGI scope)")
        chain.append(_SOURCES[kind](name))

    def extract(scope: Scope) -> str | None:
        for one in chain:
            value = one(scope)
            if value:
                return value
        return None

    return extract
