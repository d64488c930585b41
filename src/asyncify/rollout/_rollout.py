"""What a service configures: where flags live, how a unit key is found, shadow, guardrail,
metrics. ``combine(legacy, routers, rollout=Rollout.from_env())`` puts the router in front."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ._decide import Decision, Extractor
from ._flags import Stage
from ._guardrail import Guardrail
from ._shadow import Shadow
from ._store import FlagStore

if TYPE_CHECKING:
    from fastapi import FastAPI
    from starlette.routing import BaseRoute
    from starlette.types import ASGIApp

#: ``decide(flag_key, unit_key, scope)``: a decision source other than a flag store (e.g.
#: an OpenFeature client, see :class:`~asyncify.rollout.OpenFeatureDecider`).
Decider = Callable[[str, str | None, Mapping[str, Any]], Decision]

DEFAULT_FILE = "asyncify-flags.json"


def open_store(spec: str, *, key: str = "asyncify:flags", **options: Any) -> FlagStore:
    """A store from ``spec``: a ``redis://`` / ``rediss://`` / ``unix://`` URL, else a path to
    a flagd JSON file."""
    if spec.startswith(("redis://", "rediss://", "unix://")):
        from ._redis_store import RedisStore

        return RedisStore(spec, key=key, **options)
    from ._file_store import FileStore

    return FileStore(spec, **options)


def store_spec() -> str:
    """``ASYNCIFY_FLAGS`` (a Redis URL or a file path), default ``asyncify-flags.json``."""
    return os.environ.get("ASYNCIFY_FLAGS") or DEFAULT_FILE


@dataclass
class Rollout:
    """Rollout settings for one combined app. Exactly one of ``store`` (flags managed by
    ``asyncify flags``) or ``decider`` (another system decides) should be given; with
    neither, every migrated endpoint serves legacy."""

    store: FlagStore | None = None
    decider: Decider | None = None
    unit_key: Sequence[str | Extractor] = ("header:X-User-Id",)
    shadow: Shadow = field(default_factory=Shadow)
    guardrail: Guardrail | None = field(default_factory=Guardrail)
    default_stage: Stage = Stage.legacy
    metrics_path: str | None = "/asyncify/metrics"
    log_sample_rate: float = 0.01
    stats_interval: float = 1.0

    @classmethod
    def from_env(cls, **overrides: Any) -> Rollout:
        """Settings from the environment: ``ASYNCIFY_FLAGS`` (store), ``ASYNCIFY_FLAGS_KEY``
        (Redis key), ``ASYNCIFY_UNIT_KEY`` (comma-separated sources, e.g.
        ``header:X-User-Id,cookie:session``), ``ASYNCIFY_DEFAULT_STAGE``,
        ``ASYNCIFY_SHADOW_SANDBOX`` (``1``: shadow unsafe methods in the sandbox)."""
        settings: dict[str, Any] = {}
        key = os.environ.get("ASYNCIFY_FLAGS_KEY") or "asyncify:flags"
        settings["store"] = open_store(store_spec(), key=key)
        if os.environ.get("ASYNCIFY_UNIT_KEY"):
            settings["unit_key"] = tuple(
                s.strip() for s in os.environ["ASYNCIFY_UNIT_KEY"].split(",") if s.strip())
        if os.environ.get("ASYNCIFY_DEFAULT_STAGE"):
            settings["default_stage"] = Stage(os.environ["ASYNCIFY_DEFAULT_STAGE"])
        if os.environ.get("ASYNCIFY_SHADOW_SANDBOX", "").lower() in ("1", "true", "yes", "on"):
            settings["shadow"] = Shadow(sandbox=True)
        settings.update(overrides)
        return cls(**settings)

    @classmethod
    def configured(cls) -> Rollout | None:
        """What the generated combined app uses: :meth:`from_env` when ``ASYNCIFY_FLAGS``
        names a flag store, else ``None`` (no router: migrated endpoints answer from their
        async twins, as right after ``asyncify apply``)."""
        return cls.from_env() if os.environ.get("ASYNCIFY_FLAGS") else None

    def install(self, app: FastAPI, *, legacy: Any, legacy_app: ASGIApp,
                routes: Sequence[BaseRoute]) -> None:
        """Put the router in front of ``app`` (called by ``combine``)."""
        from ._router import RolloutRouter

        app.add_middleware(RolloutRouter, rollout=self, legacy_app=legacy_app, routes=routes,
                           flask=legacy)
