"""Prometheus metrics of the router (imported only when metrics are on).

Per request the router only bumps plain counters (a dict increment and a bisect: about a
microsecond, where three labelled prometheus-client updates cost ten); a custom collector
turns them into Prometheus families at scrape time, and prometheus-client renders them.
Served by the router at its ``metrics_path`` (the catch-all legacy mount would otherwise
swallow the path); per worker process, like any uvicorn/gunicorn worker's metrics.
"""

from __future__ import annotations

import bisect
import collections
from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

CONTENT_TYPE = CONTENT_TYPE_LATEST
BUCKETS = (.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1.0, 2.5, 5.0, 10.0)


class Metrics(Collector):
    """The router's counters, collected on scrape."""

    def __init__(self) -> None:
        self.decisions: collections.Counter[tuple[str, str, str]] = collections.Counter()
        self.outcomes: collections.Counter[tuple[str, str, str]] = collections.Counter()
        self.histograms: dict[tuple[str, str], list[float]] = {}  # bucket counts + [sum]
        self.shadow: collections.Counter[tuple[str, str]] = collections.Counter()
        self.rollbacks: collections.Counter[str] = collections.Counter()
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(self)

    def observe(self, flag: str, variant: str, reason: str, latency: float, error: bool) -> None:
        self.decisions[flag, variant, reason] += 1
        self.outcomes[flag, variant, "error" if error else "ok"] += 1
        slots = self.histograms.get((flag, variant))
        if slots is None:
            slots = self.histograms[flag, variant] = [0.0] * (len(BUCKETS) + 2)
        slots[bisect.bisect_left(BUCKETS, latency)] += 1
        slots[-1] += latency

    def shadow_outcome(self, flag: str, outcome: str) -> None:
        self.shadow[flag, outcome] += 1

    def rollback(self, flag: str) -> None:
        self.rollbacks[flag] += 1

    def collect(self) -> Iterator[Any]:
        requests = CounterMetricFamily(
            "asyncify_rollout_requests", "Requests to migrated endpoints, by variant served.",
            labels=["flag", "variant", "outcome"])
        for labels, n in sorted(self.outcomes.items()):
            requests.add_metric(list(labels), n)
        decisions = CounterMetricFamily(
            "asyncify_rollout_decisions", "Routing decisions by the rule that made them.",
            labels=["flag", "variant", "reason"])
        for labels, n in sorted(self.decisions.items()):
            decisions.add_metric(list(labels), n)
        latency = HistogramMetricFamily(
            "asyncify_rollout_request_seconds", "Latency of migrated endpoints by variant.",
            labels=["flag", "variant"])
        for pair, slots in sorted(self.histograms.items()):
            running, buckets = 0.0, []
            for bound, count in zip((*BUCKETS, float("inf")), slots[:-1], strict=True):
                running += count
                buckets.append((str(bound) if bound != float("inf") else "+Inf", running))
            latency.add_metric(list(pair), buckets, slots[-1])
        shadow = CounterMetricFamily("asyncify_rollout_shadow", "Shadow runs by outcome.",
                                     labels=["flag", "outcome"])
        for pair, n in sorted(self.shadow.items()):
            shadow.add_metric(list(pair), n)
        rollbacks = CounterMetricFamily(
            "asyncify_rollout_rollbacks", "Automatic rollbacks by the guardrail.",
            labels=["flag"])
        for flag, n in sorted(self.rollbacks.items()):
            rollbacks.add_metric([flag], n)
        yield from (requests, decisions, latency, shadow, rollbacks)

    def render(self) -> bytes:
        return generate_latest(self.registry)
