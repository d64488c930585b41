"""Shadow runs: legacy answers the user; the async variant runs afterwards on a copy of the
request, under a semaphore, a timeout and a sample rate, and the two answers are compared
with ``asyncify verify``'s normalisation (ignored JSON paths, regex replacements).

Only safe methods are shadowed, or endpoints whose flag is marked read-only: a shadowed
``POST`` would write twice to the one database both variants share — unless the sandbox is
on (``Shadow(sandbox=True)``): then the async variant of an unsafe request runs inside
:func:`asyncify.compat.sandboxed` (its database work rolled back, outbound writes blocked).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("asyncify.rollout.shadow")

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Shadow:
    """How shadow runs behave. ``ignore_paths``/``replace``/``json``/``headers`` are
    ``[tool.asyncify.verify]``'s comparison options."""

    sample_rate: float = 1.0
    max_concurrent: int = 4
    timeout: float = 5.0
    max_body: int = 1 << 20
    json: bool = True
    ignore_paths: tuple[str, ...] = ()
    replace: tuple[tuple[str, str], ...] = ()
    headers: tuple[str, ...] = ()
    sandbox: bool = False
    on_result: Callable[[ShadowResult], None] | None = field(default=None, compare=False)


@dataclass
class Captured:
    """One side's response, as far as it is compared."""

    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytearray = field(default_factory=bytearray)
    truncated: bool = False
    started: float = field(default_factory=time.perf_counter)
    elapsed: float = 0.0

    def sender(self, send: Send | None, limit: int) -> Send:
        """A ``send`` that records what passes through (and forwards it, if ``send``)."""

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.status = message["status"]
                self.headers = {k.decode("latin-1").lower(): v.decode("latin-1")
                                for k, v in message.get("headers", [])}
            elif message["type"] == "http.response.body":
                chunk = message.get("body", b"")
                if len(self.body) + len(chunk) > limit:
                    self.truncated = True
                else:
                    self.body += chunk
                if not message.get("more_body", False):
                    self.elapsed = time.perf_counter() - self.started
            if send is not None:
                await send(message)

        return capture


@dataclass(frozen=True)
class ShadowResult:
    """``outcome``: match, mismatch, error (the async variant raised or answered 5xx when
    legacy did not), timeout, skipped (busy or sampled out), refused (unsafe method)."""

    flag: str
    outcome: str
    legacy_s: float = 0.0
    async_s: float = 0.0
    differences: tuple[str, ...] = ()


def replay(body: bytes) -> Receive:
    """A ``receive`` that gives ``body`` once, then waits for the disconnect forever."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.Event().wait()
        return {"type": "http.disconnect"}  # pragma: no cover (never reached)

    return receive


async def read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


class Shadower:
    """Runs and compares shadow calls for the router; keeps its tasks alive until done."""

    def __init__(self, settings: Shadow) -> None:
        from ..verify import Normaliser, Replacement, VerifySettings

        self.settings = settings
        self.verify = VerifySettings(
            json=settings.json, ignore_paths=settings.ignore_paths, headers=settings.headers,
            replace=tuple(Replacement(p, r) for p, r in settings.replace))
        self.normalise = Normaliser(self.verify)
        self._semaphore: asyncio.Semaphore | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def wanted(self) -> bool:
        rate = self.settings.sample_rate
        return rate >= 1.0 or random.random() < rate

    def start(self, flag: str, app: ASGIApp, scope: Scope, body: bytes, legacy: Captured,
              report: Callable[[ShadowResult], None]) -> None:
        """Schedule the async variant on a copy of the request (never awaited by the user's
        request); skipped when ``max_concurrent`` runs are already going."""
        if self._semaphore is None:
            self._semaphore = asyncio.Semaphore(self.settings.max_concurrent)
        if self._semaphore.locked():
            report(ShadowResult(flag, "skipped"))
            return
        task = asyncio.get_running_loop().create_task(
            self._run(flag, app, dict(scope), body, legacy, report))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, flag: str, app: ASGIApp, scope: Scope, body: bytes,
                   legacy: Captured, report: Callable[[ShadowResult], None]) -> None:
        assert self._semaphore is not None
        async with self._semaphore:
            mine = Captured()
            sandbox = self.settings.sandbox and scope.get("method") not in SAFE_METHODS
            try:
                with _sandboxed() if sandbox else contextlib.nullcontext():
                    await asyncio.wait_for(
                        app(scope, replay(body), mine.sender(None, self.settings.max_body)),
                        self.settings.timeout)
                result = self._compare(flag, legacy, mine)
            except TimeoutError:
                result = ShadowResult(flag, "timeout", legacy.elapsed, self.settings.timeout)
            except Exception as exc:  # a shadow failure never reaches the user
                result = ShadowResult(flag, "error", legacy.elapsed,
                                      time.perf_counter() - mine.started, (repr(exc),))
            try:
                report(result)
                if self.settings.on_result is not None:
                    self.settings.on_result(result)
            except Exception:
                log.exception("asyncify shadow: reporting a result failed")

    def _compare(self, flag: str, legacy: Captured, mine: Captured) -> ShadowResult:
        from ..verify import Reply, compare

        if legacy.truncated or mine.truncated:
            return ShadowResult(flag, "skipped", legacy.elapsed, mine.elapsed,
                                ("body larger than max_body",))
        left = Reply(legacy.status, legacy.headers, bytes(legacy.body))
        right = Reply(mine.status, mine.headers, bytes(mine.body))
        found = compare(left, right, self.verify, self.normalise)
        if not found:
            return ShadowResult(flag, "match", legacy.elapsed, mine.elapsed)
        outcome = "error" if (mine.status or 500) >= 500 > (legacy.status or 0) else "mismatch"
        shown = tuple(f"{d.field}: legacy {d.legacy} / async {d.candidate}" for d in found)
        return ShadowResult(flag, outcome, legacy.elapsed, mine.elapsed, shown)

    async def drain(self) -> None:
        """Wait for running shadow calls (shutdown; each is bounded by its timeout)."""
        if self._tasks:
            await asyncio.wait(list(self._tasks))


def _sandboxed() -> contextlib.AbstractContextManager[None]:
    from ..compat import sandboxed

    return sandboxed()


def describe(result: ShadowResult) -> dict[str, Any]:
    return {"flag": result.flag, "outcome": result.outcome,
            "legacy_ms": round(result.legacy_s * 1000, 2),
            "async_ms": round(result.async_s * 1000, 2), "differences": list(result.differences)}
