"""Deterministic fake data: every value is derived from the request's inputs, so tests can
assert exact bodies and two runs always agree (no randomness, no ``hash()``)."""

from __future__ import annotations

import hashlib
import math
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")

# Units of each currency per 1 USD.
RATES = {
    "USD": Decimal("1"),
    "EUR": Decimal("0.92"),
    "GBP": Decimal("0.79"),
    "CHF": Decimal("0.88"),
    "JPY": Decimal("151.20"),
}
COUPONS = {"BOOKWORM10": Decimal("0.10"), "HALFTERM": Decimal("0.50")}

CATEGORIES = ("fiction", "history", "science", "travel", "cooking", "poetry")
ADJECTIVES = ("Silent", "Crimson", "Northern", "Hidden", "Last", "Golden", "Broken", "Quiet")
NOUNS = ("Harbor", "Garden", "Atlas", "Winter", "Orchard", "Lighthouse", "Archive", "River")
WAREHOUSES = ("AMS-1", "FRA-2", "DUB-1")
REVIEWERS = ("Ana", "Björn", "Chloé", "Dmitri", "Eun-ji", "Farid")
# The second text carries a raw U+2028 LINE SEPARATOR: legal inside a JSON string, and a
# line break for str.splitlines() (but not for requests' iter_lines()).
REVIEW_TEXTS = (
    "A gripping read from start to finish.",
    "Two stories in one:\u2028the second is better.",
    "Très bon livre, je le recommande.",
    "Großartig geschrieben, aber zu lang.",
    "Not for me.",
    "I keep coming back to it ☕",
)

# zone: (carrier, base cost USD, cost per started kg USD, eta days)
ZONES = {
    "domestic": ("USPS", Decimal("4.99"), Decimal("1.50"), 3),
    "eu": ("DHL", Decimal("7.50"), Decimal("2.00"), 5),
    "intl": ("FedEx", Decimal("14.00"), Decimal("5.00"), 9),
}
COUNTRY_ZONES = {
    "US": "domestic",
    "CA": "domestic",
    "DE": "eu",
    "FR": "eu",
    "NL": "eu",
    "ES": "eu",
    "GB": "intl",
    "JP": "intl",
}


class InvalidInput(ValueError):
    """An input the fake service rejects with 422."""


def digest(*parts: object) -> int:
    raw = "|".join(str(part) for part in parts).encode()
    return int.from_bytes(hashlib.sha256(raw).digest()[:8], "big")


def money(value: Decimal) -> str:
    return str(value.quantize(CENT, rounding=ROUND_HALF_UP))


def rate_for(currency: str) -> Decimal:
    try:
        return RATES[currency]
    except KeyError:
        raise InvalidInput(f"unsupported currency {currency!r}") from None


def product(sku: str) -> dict[str, object]:
    h = digest("catalog", sku)
    return {
        "sku": sku,
        "title": f"The {ADJECTIVES[h % 8]} {NOUNS[(h >> 8) % 8]}",
        "category": CATEGORIES[(h >> 16) % len(CATEGORIES)],
        "weight_g": 150 + (h >> 24) % 900,
    }


def description(sku: str) -> str:
    item = product(sku)
    return f"{item['title']} — a {item['category']} title. Café-tested, naïvely charming.\n"


def unit_price_usd(sku: str) -> Decimal:
    return Decimal(499 + (digest("price", sku) % 40) * 100) / 100


def price(sku: str, currency: str, coupon: str | None) -> dict[str, str]:
    rate = rate_for(currency)
    if coupon is not None and coupon not in COUPONS:
        raise InvalidInput(f"unknown coupon {coupon!r}")
    list_price = (unit_price_usd(sku) * rate).quantize(CENT, rounding=ROUND_HALF_UP)
    discount = (list_price * COUPONS.get(coupon or "", Decimal(0))).quantize(
        CENT, rounding=ROUND_HALF_UP
    )
    return {
        "sku": sku,
        "currency": currency,
        "list_price": money(list_price),
        "discount": money(discount),
        "price": money(list_price - discount),
    }


def quote(items: list[dict[str, object]], currency: str, coupon: str | None) -> dict[str, object]:
    lines = []
    subtotal = Decimal(0)
    for item in items:
        sku, qty = item.get("sku"), item.get("qty")
        if not isinstance(sku, str) or not isinstance(qty, int) or qty <= 0:
            raise InvalidInput("each item needs a string 'sku' and a positive integer 'qty'")
        unit = Decimal(price(sku, currency, coupon)["price"])
        lines.append(
            {"sku": sku, "qty": qty, "unit_price": money(unit), "line_total": money(unit * qty)}
        )
        subtotal += unit * qty
    return {"currency": currency, "lines": lines, "subtotal": money(subtotal)}


def stock(sku: str) -> dict[str, object]:
    h = digest("stock", sku)
    return {"sku": sku, "available": h % 40, "warehouse": WAREHOUSES[(h >> 8) % 3]}


def review_count(sku: str) -> int:
    return 2 + digest("reviews", sku) % 6


def review(sku: str, index: int) -> dict[str, object]:
    h = digest("review", sku, index)
    return {
        "id": f"{sku}-r{index + 1}",
        "rating": 1 + h % 5,
        "author": REVIEWERS[(h >> 8) % len(REVIEWERS)],
        "text": REVIEW_TEXTS[index % len(REVIEW_TEXTS)],
    }


def reviews(sku: str) -> list[dict[str, object]]:
    return [review(sku, i) for i in range(review_count(sku))]


def review_summary(sku: str) -> dict[str, object]:
    ratings = [1 + digest("review", sku, i) % 5 for i in range(review_count(sku))]
    return {"sku": sku, "count": len(ratings), "average": round(sum(ratings) / len(ratings), 1)}


def recommendations(customer_id: int, limit: int) -> list[str]:
    return [f"BK-{100 + digest('rec', customer_id, i) % 900}" for i in range(limit)]


def convert(amount: Decimal, source: str, target: str) -> dict[str, str]:
    rate = (rate_for(target) / rate_for(source)).quantize(Decimal("0.000001"))
    return {
        "from": source,
        "to": target,
        "amount": money(amount),
        "rate": str(rate),
        "result": money(amount * rate),
    }


def shipping_quote(country: str, weight_g: int, currency: str) -> dict[str, object]:
    zone = COUNTRY_ZONES.get(country)
    if zone is None:
        raise InvalidInput(f"unsupported country {country!r}")
    if weight_g <= 0:
        raise InvalidInput("weight_g must be positive")
    carrier, base, per_kg, eta = ZONES[zone]
    cost_usd = base + per_kg * math.ceil(weight_g / 1000)
    return {
        "country": country,
        "weight_g": weight_g,
        "carrier": carrier,
        "cost": money(cost_usd * rate_for(currency)),
        "currency": currency,
        "eta_days": eta,
    }
