"""Sticky percentage bucketing, identical to flagd's ``fractional`` operator.

``murmur3_x86_32(flag_key + unit_key, seed 0)`` scaled onto 100 000 buckets (0.001 %
resolution): a team that later points the same flag file at a flagd fleet keeps every user on
the same side. Frozen forever: changing it would silently move users between variants.
"""

from __future__ import annotations

import mmh3

#: Buckets per flag: one bucket is 0.001 % of the units.
BUCKETS = 100_000


def bucket(flag_key: str, unit_key: str) -> int:
    """The unit's bucket in ``range(BUCKETS)`` for this flag (flagd ``fractional``:
    ``(hash * total_weight) >> 32``)."""
    return (mmh3.hash(flag_key + unit_key, signed=False) * BUCKETS) >> 32


def units(percent: float) -> int:
    """``percent`` (0-100, three decimals) as a number of buckets."""
    return round(percent * 1000)


def in_rollout(flag_key: str, unit_key: str, percent: float) -> bool:
    """Whether the unit is inside the first ``percent`` of buckets. Monotone: raising
    ``percent`` never moves a unit back out."""
    return bucket(flag_key, unit_key) < units(percent)
