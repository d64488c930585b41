"""A Monte-Carlo revenue simulation: pure Python and CPU-bound on purpose."""

from __future__ import annotations

import random
import statistics

DAYS = 30


def simulate_revenue(price: float, runs: int, seed: int) -> dict[str, object]:
    """Simulate a month of daily demand at ``price``, ``runs`` times; summarise revenue."""
    rng = random.Random(seed)
    # Demand falls with price; the reference price sells 20 copies a day on average.
    expected_daily = 20 * (15.0 / max(price, 0.01)) ** 1.3
    revenues = []
    for _ in range(runs):
        sold = 0
        for _day in range(DAYS):
            sold += max(0, round(rng.gauss(expected_daily, expected_daily / 3)))
        revenues.append(sold * price)
    revenues.sort()
    return {
        "price": f"{price:.2f}",
        "runs": runs,
        "seed": seed,
        "mean": f"{statistics.fmean(revenues):.2f}",
        "p05": f"{revenues[int(0.05 * (runs - 1))]:.2f}",
        "p95": f"{revenues[int(0.95 * (runs - 1))]:.2f}",
    }
