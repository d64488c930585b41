"""The flag model: one flag per migrated endpoint, stored as a flagd flag definition.

Each flag keeps asyncify's own fields in the flag's ``metadata`` (what our router reads) and
also carries the equivalent flagd ``targeting`` (JsonLogic with ``fractional``), so the same
file served by flagd gives OpenFeature clients the same answer per unit key.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from ..errors import UsageError
from ._bucket import BUCKETS, units

SCHEMA = "https://flagd.dev/schema/v0/flags.json"
_SEP = ","  # flagd metadata values are scalars: allow/deny lists are joined with commas


class Stage(enum.StrEnum):
    """Where an endpoint is in its migration, in order."""

    legacy = "legacy"
    shadow = "shadow"
    canary = "canary"
    async_ = "async"
    retired = "retired"


class FlagError(UsageError):
    """A flag definition or a change to it is invalid."""


def check_percent(percent: float) -> float:
    """:raises FlagError: ``percent`` is outside 0-100 or finer than 0.001."""
    if not 0 <= percent <= 100 or abs(units(percent) - percent * 1000) > 1e-6:
        raise FlagError(f"bad percentage {percent!r}: use 0-100 with at most three decimals")
    return percent


def check_units(keys: Iterable[str], what: str) -> frozenset[str]:
    """:raises FlagError: a unit key is empty or contains a comma."""
    out = frozenset(keys)
    for key in out:
        if not key or _SEP in key:
            raise FlagError(f"bad {what} entry {key!r}: unit keys must be non-empty, no commas")
    return out


@dataclass(frozen=True)
class Flag:
    """One endpoint's rollout state. ``percent`` only matters at the canary stage;
    ``killed`` wins over everything (except ``retired``: the legacy code is gone)."""

    key: str
    stage: Stage = Stage.legacy
    percent: float = 0.0
    killed: bool = False
    allow: frozenset[str] = frozenset()
    deny: frozenset[str] = frozenset()
    read_only: bool = False
    previous: Stage | None = None

    def changed(self, **changes: Any) -> Flag:
        """A copy with ``changes``; a new stage remembers the old one in ``previous``."""
        stage = changes.get("stage", self.stage)
        if stage != self.stage:
            changes.setdefault("previous", self.stage)
        return replace(self, **changes)

    def summary(self) -> dict[str, Any]:
        """What the audit log and ``flags list`` show."""
        return {
            "stage": self.stage.value, "percent": self.percent, "killed": self.killed,
            "allow": sorted(self.allow), "deny": sorted(self.deny), "read_only": self.read_only,
        }


@dataclass(frozen=True)
class FlagSet:
    """Every flag of one store at one moment (immutable: readers never see a half update)."""

    flags: Mapping[str, Flag] = field(default_factory=dict)

    def get(self, key: str) -> Flag | None:
        return self.flags.get(key)

    def with_flag(self, flag: Flag) -> FlagSet:
        return FlagSet({**self.flags, flag.key: flag})


def _targeting(flag: Flag) -> dict[str, Any]:
    var = {"var": "targetingKey"}
    branches: list[Any] = []
    if flag.deny and flag.stage is not Stage.retired:
        branches += [{"in": [var, sorted(flag.deny)]}, "legacy"]
    if flag.allow:
        branches += [{"in": [var, sorted(flag.allow)]}, "async"]
    if flag.stage is Stage.canary:
        share = units(flag.percent)
        tail: Any = {"fractional": [["async", share], ["legacy", BUCKETS - share]]}
    else:
        tail = _DEFAULT_VARIANT[flag.stage]
    if not branches:
        return tail if isinstance(tail, dict) else {}
    return {"if": [*branches, tail]}


_DEFAULT_VARIANT = {
    Stage.legacy: "legacy", Stage.shadow: "shadow", Stage.canary: "legacy",
    Stage.async_: "async", Stage.retired: "async",
}  # fmt: skip


def to_flagd(flag: Flag) -> dict[str, Any]:
    """The flag as a flagd flag definition."""
    metadata: dict[str, Any] = {"asyncifyStage": flag.stage.value,
                                "asyncifyPercent": flag.percent}
    if flag.allow:
        metadata["asyncifyAllow"] = _SEP.join(sorted(flag.allow))
    if flag.deny:
        metadata["asyncifyDeny"] = _SEP.join(sorted(flag.deny))
    if flag.read_only:
        metadata["asyncifyReadOnly"] = True
    if flag.previous is not None:
        metadata["asyncifyPrevious"] = flag.previous.value
    return {
        "state": "DISABLED" if flag.killed else "ENABLED",
        "variants": {"legacy": "legacy", "shadow": "shadow", "async": "async"},
        "defaultVariant": _DEFAULT_VARIANT[flag.stage],
        "targeting": _targeting(flag),
        "metadata": metadata,
    }


def _stage(value: Any, where: str) -> Stage:
    try:
        return Stage(value)
    except ValueError:
        choices = ", ".join(s.value for s in Stage)
        raise FlagError(f"{where}: unknown stage {value!r} (use one of {choices})") from None


def from_flagd(key: str, raw: Any) -> Flag:
    """A flag from its flagd definition; one without asyncify metadata (hand-written for
    flagd) takes its stage from ``defaultVariant``.

    :raises FlagError: the definition is not of that shape.
    """
    where = f"flag {key!r}"
    if not isinstance(raw, dict):
        raise FlagError(f"{where}: expected an object, got {type(raw).__name__}")
    meta = raw.get("metadata") or {}
    if not isinstance(meta, dict):
        raise FlagError(f"{where}: metadata must be an object")
    stage = _stage(meta.get("asyncifyStage", raw.get("defaultVariant", "legacy")), where)
    percent = meta.get("asyncifyPercent", 0)
    if isinstance(percent, bool) or not isinstance(percent, int | float):
        raise FlagError(f"{where}: asyncifyPercent must be a number, got {percent!r}")
    state = raw.get("state", "ENABLED")
    if state not in ("ENABLED", "DISABLED"):
        raise FlagError(f"{where}: state must be ENABLED or DISABLED, got {state!r}")
    previous = meta.get("asyncifyPrevious")

    def listed(name: str) -> frozenset[str]:
        value = meta.get(name, "")
        if not isinstance(value, str):
            raise FlagError(f"{where}: {name} must be a comma-separated string")
        return frozenset(v for v in value.split(_SEP) if v)

    try:
        check_percent(float(percent))
    except FlagError as exc:
        raise FlagError(f"{where}: {exc}") from None
    return Flag(
        key=key, stage=stage, percent=float(percent), killed=state == "DISABLED",
        allow=listed("asyncifyAllow"), deny=listed("asyncifyDeny"),
        read_only=bool(meta.get("asyncifyReadOnly", False)),
        previous=None if previous is None else _stage(previous, where),
    )


def parse_document(text: str | bytes, where: str) -> FlagSet:
    """A flagd flag document.

    :raises FlagError: not JSON, or not ``{"flags": {...}}`` of valid flags.
    """
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise FlagError(f"{where}: not valid JSON ({exc}); fix the file or restore it from "
                        "the audit log") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("flags", {}), dict):
        raise FlagError(f"{where}: expected a flagd document {{\"flags\": {{...}}}}")
    try:
        return FlagSet({k: from_flagd(k, v) for k, v in doc.get("flags", {}).items()})
    except FlagError as exc:
        raise FlagError(f"{where}: {exc}") from None


def dump_document(flags: FlagSet) -> str:
    """The flagd document for ``flags`` (sorted, stable: diffs stay small)."""
    doc = {"$schema": SCHEMA,
           "flags": {k: to_flagd(flags.flags[k]) for k in sorted(flags.flags)}}
    return json.dumps(doc, indent=2, sort_keys=False) + "\n"
