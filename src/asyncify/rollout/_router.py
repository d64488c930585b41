"""The rollout router: ASGI middleware deciding, per request to a migrated route, whether the
legacy app (through its a2wsgi mount) or the migrated route answers, or legacy answers while
the migrated route runs as a shadow.

Every other path goes straight to the legacy mount (skipping FastAPI's routing, as the
catch-all mount would answer anyway). Any error while deciding serves legacy.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections.abc import Sequence
from typing import Any, cast

from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ._decide import ASYNC, LEGACY, Decision, decide, needs_unit, unit_key
from ._flags import Flag, FlagSet, Stage
from ._guardrail import Watch
from ._rollout import Rollout
from ._shadow import SAFE_METHODS, Captured, Shadower, ShadowResult, describe, read_body, replay
from ._stats import Window
from ._store import worker_id

log = logging.getLogger("asyncify.rollout")
PATH_CACHE = 4096
_MISS: Any = object()
_STALE = Decision(LEGACY, "stale")
_REFUSED = Decision(LEGACY, "shadow-refused")
_ERROR = Decision(LEGACY, "error")
decisions_log = logging.getLogger("asyncify.rollout.decisions")


def view_id(view: Any) -> str:
    """The legacy endpoint id (``module.view``, as ``asyncify plan`` names it)."""
    view = getattr(view, "view_class", view)
    return f"{view.__module__}.{view.__qualname__}"


class RolloutRouter:
    """The middleware. ``app`` is the combined app (migrated routes in their legacy request
    context, then the legacy mount); ``legacy_app`` the a2wsgi mount itself; ``routes`` the
    migrated routes; ``flask`` the legacy app (flag keys are its endpoint ids; without it,
    ``"METHOD /path/template"``)."""

    def __init__(self, app: ASGIApp, *, rollout: Rollout, legacy_app: ASGIApp,
                 routes: Sequence[BaseRoute], flask: Any = None) -> None:
        self.app, self.legacy, self.rollout = app, legacy_app, rollout
        self.routes = list(routes)
        self.flask = flask
        self.unit = unit_key(rollout.unit_key)
        self.window = Window(rollout.guardrail.window if rollout.guardrail else 60.0)
        self.watch = Watch(rollout.guardrail, self.window) if rollout.guardrail else None
        self.shadower = Shadower(rollout.shadow)
        self.metrics: Any = None
        if rollout.metrics_path is not None:
            from ._metrics import Metrics

            self.metrics = Metrics()
        self._keys: dict[str, str] = {}
        self._paths: dict[tuple[str, str], Any] = {}
        self._adapter: Any = None
        self._overrides: dict[str, tuple[Flag | None, Flag]] = {}
        self._fast: dict[str, tuple[FlagSet | None, Decision]] = {}
        self._metrics_path = rollout.metrics_path if self.metrics is not None else None
        self._checked: dict[str, float] = {}
        self._published = 0.0
        self._publishing = False
        self._refused: set[str] = set()

    # --- which flag ------------------------------------------------------------------------

    def flag_key(self, scope: Scope) -> str | None:
        """The flag of the migrated route this request matches fully: the legacy endpoint id
        of the Flask view it replaces; ``""`` for a migrated route with no legacy twin (the
        combined app answers, unflagged); ``None`` for every other path (legacy).

        Cached per method and path (bounded): route matching costs more than the rest of
        the decision."""
        cache = (scope["method"], scope["path"])
        key = self._paths.get(cache, _MISS)
        if key is _MISS:
            key = self._match(scope)
            if len(self._paths) >= PATH_CACHE:
                self._paths.clear()
            self._paths[cache] = key
        return cast(str | None, key)

    def _match(self, scope: Scope) -> str | None:
        for route in self.routes:
            if route.matches(scope)[0] is Match.FULL:
                break
        else:
            return None
        if self.flask is None:
            return f"{scope['method']} {getattr(route, 'path', scope['path'])}"
        if self._adapter is None:
            self._adapter = self.flask.url_map.bind("localhost")
        try:
            endpoint, _ = self._adapter.match(scope["path"], method=scope["method"])
        except Exception:  # werkzeug raises NotFound / MethodNotAllowed / RequestRedirect
            return ""
        key = self._keys.get(endpoint)
        if key is None:
            key = self._keys[endpoint] = view_id(self.flask.view_functions[endpoint])
        return key

    def flag(self, key: str) -> Flag | bool | None:
        """The flag for ``key`` (a guardrail override wins); ``False`` when the store's flags
        are too stale to use."""
        store = self.rollout.store
        if store is None:
            return None
        return self._flag_in(store.current(), key)

    def _flag_in(self, flags: FlagSet | None, key: str) -> Flag | bool | None:
        if flags is None:
            return False
        stored = flags.get(key)
        override = self._overrides.get(key)
        if override is not None:
            if override[0] == stored:
                return override[1]
            del self._overrides[key]  # the store moved on: it wins again
        if stored is None and self.rollout.default_stage is not Stage.legacy:
            return Flag(key, self.rollout.default_stage, 100.0)
        return stored

    def decide(self, key: str, scope: Scope) -> Decision:
        if self.rollout.decider is not None:
            decision = self.rollout.decider(key, self.unit(scope), scope)
            read_only = False
        else:
            store = self.rollout.store
            flags = store.current() if store is not None else None
            # Most requests meet an unchanged flag that ignores the unit key: reuse the
            # decision made for the same FlagSet (immutable, replaced on every reload).
            hit = self._fast.get(key)
            if hit is not None and hit[0] is flags:
                return hit[1]
            flag = self._flag_in(flags, key) if store is not None else None
            if flag is False:
                return _STALE
            assert flag is not True
            unit_needed = needs_unit(flag)
            decision = decide(flag, self.unit(scope) if unit_needed else None)
            read_only = flag is not None and flag.read_only
            if flags is not None and not unit_needed and not decision.shadow \
                    and key not in self._overrides:
                self._fast[key] = (flags, decision)
        if decision.shadow and scope["method"] not in SAFE_METHODS and not read_only \
                and not self.rollout.shadow.sandbox:
            return _REFUSED
        return decision

    # --- serving ---------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        if path == self._metrics_path:
            await self._serve_metrics(send)
            return
        # The common case inline (cached route, unchanged flag): every call costs here.
        key = self._paths.get((scope["method"], path), _MISS)
        if key is _MISS:
            try:
                key = self.flag_key(scope)
            except Exception:
                log.exception("asyncify rollout: matching %r failed; serving legacy", path)
                key = None
        if key is None:
            await self.legacy(scope, receive, send)
            return
        if not key:
            await self.app(scope, receive, send)
            return
        hit = self._fast.get(key)
        store = self.rollout.store
        if hit is not None and store is not None and hit[0] is store.current():
            decision = hit[1]
        else:
            try:
                decision = self.decide(key, scope)
            except Exception:
                log.exception("asyncify rollout: deciding %r failed; serving legacy", key)
                decision = _ERROR
            if decision is _REFUSED:
                self._report_shadow(ShadowResult(key, "refused"))
            if decision.shadow and self.shadower.wanted():
                await self._serve_shadowed(key, decision, scope, receive, send)
                return
        await self._serve(key, decision, scope, receive, send)

    async def _serve(self, key: str, decision: Decision, scope: Scope, receive: Receive,
                     send: Send) -> None:
        target = self.app if decision.variant == ASYNC else self.legacy
        status = 500
        started = time.perf_counter()

        async def watched(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await target(scope, receive, watched)
        finally:
            ended = time.perf_counter()
            self._record(key, decision, ended - started, status >= 500, ended)

    async def _serve_shadowed(self, key: str, decision: Decision, scope: Scope,
                              receive: Receive, send: Send) -> None:
        body = await read_body(receive)
        copy = dict(scope)
        legacy = Captured()
        try:
            await self.legacy(scope, replay(body),
                              legacy.sender(send, self.rollout.shadow.max_body))
        finally:
            ended = time.perf_counter()
            elapsed = ended - legacy.started
            self._record(key, decision, elapsed, legacy.status is None or legacy.status >= 500,
                         ended)
        legacy.elapsed = legacy.elapsed or elapsed
        try:
            self.shadower.start(key, self.app, copy, body, legacy, self._report_shadow)
        except Exception:
            log.exception("asyncify rollout: starting a shadow run for %r failed", key)

    async def _serve_metrics(self, send: Send) -> None:
        from ._metrics import CONTENT_TYPE

        body = self.metrics.render()
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", CONTENT_TYPE.encode()),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    # --- bookkeeping -----------------------------------------------------------------------

    def _record(self, key: str, decision: Decision, latency: float, error: bool,
                now: float) -> None:
        """Account one answer (``now``: ``time.perf_counter()`` at its end)."""
        try:
            self.window.record(key, decision.variant, latency, error, now)
            if self.metrics is not None:
                self.metrics.observe(key, decision.variant, decision.reason, latency, error)
            if random.random() < self.rollout.log_sample_rate:
                decisions_log.info(json.dumps({
                    "flag": key, "variant": decision.variant, "reason": decision.reason,
                    "shadow": decision.shadow, "ms": round(latency * 1000, 2), "error": error}))
            if decision.variant == ASYNC and self.watch is not None:
                assert self.rollout.guardrail is not None
                if now - self._checked.get(key, 0.0) >= self.rollout.guardrail.check_interval:
                    self._checked[key] = now
                    verdict = self.watch.verdict(key)
                    if verdict is not None:
                        self._roll_back(key, verdict)
            if now - self._published >= self.rollout.stats_interval and not self._publishing:
                self._published = now
                self._publish()
        except Exception:
            log.exception("asyncify rollout: bookkeeping failed for %r", key)

    def _report_shadow(self, result: ShadowResult) -> None:
        self.window.record_shadow(result.flag, result.outcome)
        if result.outcome not in ("skipped", "refused"):
            self.window.record(result.flag, "shadow", result.async_s,
                               result.outcome in ("error", "timeout"))
        if self.metrics is not None:
            self.metrics.shadow_outcome(result.flag, result.outcome)
        if result.outcome in ("mismatch", "error", "timeout"):
            log.warning("asyncify shadow %s: %s", result.outcome, json.dumps(describe(result)))
        elif result.outcome == "refused" and result.flag not in self._refused:
            self._refused.add(result.flag)
            log.warning("asyncify shadow refused for %r: only GET/HEAD/OPTIONS or flags marked "
                        "read-only are shadowed (`asyncify flags set %s --read-only`)",
                        result.flag, result.flag)

    def _roll_back(self, key: str, reason: str) -> None:
        store = self.rollout.store
        observed = store.current() if store is not None else None
        stored = observed.get(key) if observed is not None else None
        current = self.flag(key)
        if not isinstance(current, Flag) or current.stage not in (Stage.canary, Stage.async_):
            return
        guard = self.rollout.guardrail
        assert guard is not None
        target = Stage.legacy
        if guard.rollback_to == "previous" and current.previous in (Stage.shadow, Stage.canary):
            target = current.previous
        rolled = current.changed(stage=target)
        self._overrides[key] = (stored, rolled)
        self._fast.pop(key, None)
        self.window.forget(key, ASYNC)
        if self.metrics is not None:
            self.metrics.rollback(key)
        log.error("asyncify guardrail: rolled %r back from %s to %s: %s", key,
                  current.stage.value, target.value, reason)
        if store is None:
            return

        def change(flags: Any) -> Any:
            now = flags.get(key)
            if now != stored or now is None:
                return flags  # somebody changed it meanwhile: theirs wins
            return flags.with_flag(now.changed(stage=target))

        def write() -> None:
            try:
                store.update(change, reason=f"guardrail: {reason}",
                             who=f"guardrail@{worker_id()}")
            except Exception:
                log.exception("asyncify guardrail: recording the rollback of %r failed; it "
                              "holds in this worker only", key)

        asyncio.get_running_loop().run_in_executor(None, write)

    def _publish(self) -> None:
        store = self.rollout.store
        if store is None:
            return
        doc = self.window.snapshot()
        self._publishing = True

        def write() -> None:
            try:
                store.publish_stats(doc)
            except Exception as exc:
                log.debug("asyncify rollout: publishing stats failed: %s", exc)
            finally:
                self._publishing = False

        asyncio.get_running_loop().run_in_executor(None, write)
