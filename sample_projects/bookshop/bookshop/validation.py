"""Pure checks of client input (no I/O), shared by views and services."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .errors import InvalidOrder

CURRENCIES = ("USD", "EUR", "GBP")
MAX_ITEMS = 20
MAX_QTY = 10


@dataclass(frozen=True)
class OrderRequest:
    customer_id: int
    currency: str
    items: tuple[tuple[int, int], ...]  # (book_id, qty), sorted by book_id


def parse_order(payload: Any) -> OrderRequest:
    if not isinstance(payload, dict):
        raise InvalidOrder("the body must be a JSON object")
    customer_id = payload.get("customer_id")
    if not isinstance(customer_id, int) or isinstance(customer_id, bool):
        raise InvalidOrder("customer_id must be an integer")
    currency = payload.get("currency", "USD")
    if currency not in CURRENCIES:
        raise InvalidOrder(f"currency must be one of {', '.join(CURRENCIES)}")
    items = payload.get("items")
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_ITEMS:
        raise InvalidOrder(f"items must be a list of 1 to {MAX_ITEMS} entries")
    quantities: dict[int, int] = {}
    for item in items:
        book_id = item.get("book_id") if isinstance(item, dict) else None
        qty = item.get("qty") if isinstance(item, dict) else None
        if not isinstance(book_id, int) or not isinstance(qty, int) or not 1 <= qty <= MAX_QTY:
            raise InvalidOrder(f"each item needs an integer book_id and a qty from 1 to {MAX_QTY}")
        if book_id in quantities:
            raise InvalidOrder(f"book {book_id} appears twice")
        quantities[book_id] = qty
    return OrderRequest(customer_id, currency, tuple(sorted(quantities.items())))


def isbn13_check_digit(first12: str) -> int:
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(first12))
    return (10 - total % 10) % 10


def check_isbn(raw: str) -> dict[str, Any]:
    """Validate an ISBN-10 or ISBN-13 (hyphens and spaces allowed); give both forms."""
    digits = raw.replace("-", "").replace(" ", "").upper()
    if len(digits) == 10 and digits[:9].isdigit() and (digits[9].isdigit() or digits[9] == "X"):
        total = sum((10 - i) * (10 if c == "X" else int(c)) for i, c in enumerate(digits))
        if total % 11:
            return {"input": raw, "valid": False, "reason": "bad check digit"}
        body = "978" + digits[:9]
        return {
            "input": raw,
            "valid": True,
            "isbn13": body + str(isbn13_check_digit(body)),
            "isbn10": digits,
        }
    if len(digits) == 13 and digits.isdigit():
        if isbn13_check_digit(digits[:12]) != int(digits[12]):
            return {"input": raw, "valid": False, "reason": "bad check digit"}
        isbn10 = None
        if digits.startswith("978"):
            core = digits[3:12]
            check = (11 - sum((10 - i) * int(c) for i, c in enumerate(core)) % 11) % 11
            isbn10 = core + ("X" if check == 10 else str(check))
        return {"input": raw, "valid": True, "isbn13": digits, "isbn10": isbn10}
    return {"input": raw, "valid": False, "reason": "an ISBN has 10 or 13 digits"}
