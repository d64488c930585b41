"""Feature-flagged gradual migration: per request, the legacy or the async implementation of
each migrated endpoint serves (or legacy serves while async runs as a shadow), with sticky
percentage rollout, kill switch, allow/deny lists, automatic rollback and live stats.

Imports are lazy: ``import asyncify.rollout`` costs nothing until a name is used, and Redis,
Prometheus and OpenFeature are only imported by the parts that need them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._bucket import BUCKETS, bucket, in_rollout
    from ._decide import Decision, decide, unit_key
    from ._file_store import FileStore
    from ._flags import Flag, FlagError, FlagSet, Stage, dump_document, parse_document
    from ._guardrail import Guardrail
    from ._openfeature import AsyncifyProvider, OpenFeatureDecider
    from ._redis_store import RedisStore
    from ._rollout import Rollout, open_store, store_spec
    from ._router import RolloutRouter
    from ._shadow import Shadow, ShadowResult
    from ._stats import merge
    from ._store import FlagStore

_HOME = {
    "BUCKETS": "_bucket", "bucket": "_bucket", "in_rollout": "_bucket",
    "Decision": "_decide", "decide": "_decide", "unit_key": "_decide",
    "FileStore": "_file_store",
    "Flag": "_flags", "FlagError": "_flags", "FlagSet": "_flags", "Stage": "_flags",
    "dump_document": "_flags", "parse_document": "_flags",
    "Guardrail": "_guardrail",
    "AsyncifyProvider": "_openfeature", "OpenFeatureDecider": "_openfeature",
    "RedisStore": "_redis_store",
    "Rollout": "_rollout", "open_store": "_rollout", "store_spec": "_rollout",
    "RolloutRouter": "_router",
    "Shadow": "_shadow", "ShadowResult": "_shadow",
    "merge": "_stats",
    "FlagStore": "_store",
}  # fmt: skip


def __getattr__(name: str) -> Any:
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module 'asyncify.rollout' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


__all__ = [
    "BUCKETS",
    "AsyncifyProvider",
    "Decision",
    "FileStore",
    "Flag",
    "FlagError",
    "FlagSet",
    "FlagStore",
    "Guardrail",
    "OpenFeatureDecider",
    "RedisStore",
    "Rollout",
    "RolloutRouter",
    "Shadow",
    "ShadowResult",
    "Stage",
    "bucket",
    "decide",
    "dump_document",
    "in_rollout",
    "merge",
    "open_store",
    "parse_document",
    "store_spec",
    "unit_key",
]
