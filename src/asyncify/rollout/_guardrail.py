"""Automatic rollback: the async variant of an endpoint is compared with legacy over the
sliding window, and the stage drops back when it is clearly worse.

Legacy's numbers are the baseline; once legacy no longer serves (stage ``async``) the last
baseline seen is kept, so a regression after 100 % is still caught.
"""

from __future__ import annotations

from dataclasses import dataclass

from ._decide import ASYNC, LEGACY
from ._stats import Health, Window


@dataclass(frozen=True)
class Guardrail:
    """Thresholds. ``error_margin``: the async error rate may exceed legacy's by this much;
    ``latency_ratio``: async p50 or p99 may be at most this many times legacy's (ignored
    while async's p50 is under ``latency_floor`` seconds: noise). Each variant needs
    ``min_requests`` in the window before anything is judged, and ``p99_min_requests``
    before p99 is (a p99 over 20 samples is their maximum: one hiccup of a busy machine
    would roll back a healthy variant). ``rollback_to``: ``"legacy"``
    or ``"previous"`` (the stage before the current one)."""

    window: float = 60.0
    min_requests: int = 20
    error_margin: float = 0.05
    latency_ratio: float = 3.0
    latency_floor: float = 0.002
    p99_min_requests: int = 200
    rollback_to: str = "legacy"
    check_interval: float = 1.0


class Watch:
    """The guardrail's judgement for each endpoint, from one worker's window."""

    def __init__(self, rules: Guardrail, window: Window) -> None:
        self.rules = rules
        self.window = window
        self._baseline: dict[str, Health] = {}

    def verdict(self, flag: str) -> str | None:
        """Why ``flag``'s async variant must be rolled back, or ``None``."""
        rules = self.rules
        mine = self.window.health(flag, ASYNC)
        if mine.requests < rules.min_requests:
            return None
        legacy = self.window.health(flag, LEGACY)
        if legacy.requests >= rules.min_requests:
            self._baseline[flag] = legacy
        base = self._baseline.get(flag)
        base_rate = base.error_rate if base is not None else 0.0
        if mine.error_rate > base_rate + rules.error_margin:
            return (f"async error rate {mine.error_rate:.1%} vs legacy {base_rate:.1%} over "
                    f"{mine.requests} requests")
        if base is None or mine.p50 is None or mine.p50 < rules.latency_floor:
            return None
        checks: list[tuple[str, float | None, float | None]] = [("p50", mine.p50, base.p50)]
        if min(mine.requests, base.requests) >= rules.p99_min_requests:
            checks.append(("p99", mine.p99, base.p99))  # below that, p99 is just the max
        for name, ours, theirs in checks:
            if ours is not None and theirs and ours > rules.latency_ratio * theirs:
                return (f"async {name} {ours * 1000:.1f} ms vs legacy {theirs * 1000:.1f} ms "
                        f"(> {rules.latency_ratio:g}x) over {mine.requests} requests")
        return None
