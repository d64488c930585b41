"""Bucketing: flagd-compatible, accurate to ±0.2 points, sticky and monotone."""

from __future__ import annotations

import mmh3
from hypothesis import given
from hypothesis import strategies as st

from asyncify.rollout import BUCKETS, bucket, in_rollout

KEYS = [f"user-{i}" for i in range(100_000)]


def test_matches_flagd_fractional_formula() -> None:
    # flagd-core: bucket_by = flagKey + targetingKey; (mmh3 unsigned * total weight) >> 32.
    h = mmh3.hash("bookshop.views.books.book_detail" + "alice", signed=False)
    assert bucket("bookshop.views.books.book_detail", "alice") == (h * 100_000) >> 32
    assert mmh3.hash("hello", signed=False) == 613153351  # the canonical murmur3 vector


def test_buckets_cover_the_range() -> None:
    seen = {bucket("flag", k) for k in KEYS[:20_000]}
    assert min(seen) >= 0 and max(seen) < BUCKETS
    assert len(seen) > 15_000  # 0.001 % resolution actually used


def test_accuracy_within_0_2_points() -> None:
    for percent in (1, 10, 50):
        share = sum(in_rollout("bookshop.views.books.book_detail", k, percent) for k in KEYS)
        assert abs(share / len(KEYS) * 100 - percent) <= 0.2, (percent, share)


def test_thousandth_of_a_percent_resolution() -> None:
    share = sum(in_rollout("f", k, 0.5) for k in KEYS)
    assert 0.3 <= share / len(KEYS) * 100 <= 0.7
    assert not any(in_rollout("f", k, 0) for k in KEYS[:10_000])
    assert all(in_rollout("f", k, 100) for k in KEYS[:10_000])


def test_flags_are_decorrelated() -> None:
    a = {k for k in KEYS if in_rollout("flag-a", k, 10)}
    b = {k for k in KEYS if in_rollout("flag-b", k, 10)}
    assert 0.7 <= len(a & b) / len(KEYS) * 100 <= 1.3  # independent: about 1 %


@given(st.text(min_size=1, max_size=40), st.text(min_size=1, max_size=40),
       st.floats(0, 100), st.floats(0, 100))
def test_monotone_and_sticky(flag: str, unit: str, low: float, high: float) -> None:
    low, high = sorted((round(low, 3), round(high, 3)))
    assert bucket(flag, unit) == bucket(flag, unit)
    if in_rollout(flag, unit, low):
        assert in_rollout(flag, unit, high)
