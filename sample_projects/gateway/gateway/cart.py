"""Cart validation and normalisation: pure functions, no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

CURRENCIES = ("USD", "EUR", "GBP")
MAX_QTY = 20


class CartError(ValueError):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Cart:
    currency: str
    items: tuple[tuple[str, int], ...]  # (sku, qty), merged and sorted by sku

    @property
    def units(self) -> int:
        return sum(qty for _, qty in self.items)

    def as_lines(self) -> list[dict[str, Any]]:
        return [{"sku": sku, "qty": qty} for sku, qty in self.items]


def parse_cart(payload: Any) -> Cart:
    if not isinstance(payload, dict):
        raise CartError(["the body must be a JSON object"])
    problems = []
    currency = payload.get("currency", "USD")
    if currency not in CURRENCIES:
        problems.append(f"currency must be one of {', '.join(CURRENCIES)}")
    items = payload.get("items")
    merged: dict[str, int] = {}
    if not isinstance(items, list) or not items:
        problems.append("items must be a non-empty list")
        items = []
    for position, item in enumerate(items):
        sku = item.get("sku") if isinstance(item, dict) else None
        qty = item.get("qty", 1) if isinstance(item, dict) else None
        if not isinstance(sku, str) or not sku.strip():
            problems.append(f"items[{position}].sku must be a non-empty string")
        elif not isinstance(qty, int) or isinstance(qty, bool) or qty < 1:
            problems.append(f"items[{position}].qty must be a positive integer")
        else:
            key = sku.strip().upper()
            merged[key] = merged.get(key, 0) + qty
    for sku, qty in merged.items():
        if qty > MAX_QTY:
            problems.append(f"at most {MAX_QTY} units of {sku}")
    if problems:
        raise CartError(problems)
    return Cart(currency, tuple(sorted(merged.items())))
