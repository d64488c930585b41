"""Client for the upstream pricing service."""

from __future__ import annotations

from typing import Any

import requests
from flask import current_app

from ..tracing import upstream_headers


class PricingClient:
    """One per app: the Session keeps connections to the pricing service alive."""

    def __init__(self, base_url: str, timeout: float) -> None:
        self.base_url = base_url
        self.timeout = timeout
        self.session = requests.Session()
        self.session.headers.update({"Accept": "application/json", "User-Agent": "bookshop/1.4"})

    def price_for(self, isbn: str, *, currency: str, coupon: str | None = None) -> dict[str, Any]:
        response = self.session.get(
            f"{self.base_url}/pricing/{isbn}",
            params={"currency": currency, "coupon": coupon},
            headers=upstream_headers(),
            timeout=self.timeout,
        )
        response.raise_for_status()
        return response.json()

    def quote(self, lines: list[dict[str, Any]], *, currency: str) -> dict[str, Any]:
        response = self.session.post(
            f"{self.base_url}/pricing/quote",
            json={"currency": currency, "items": lines},
            headers=upstream_headers(),
            timeout=self.timeout,
        )
        response.raise_for_status()
        return response.json()


def get_pricing_client() -> PricingClient:
    client = current_app.extensions.get("bookshop.pricing")
    if client is None:
        config = current_app.config
        client = PricingClient(config["UPSTREAM_URL"], config["UPSTREAM_TIMEOUT"])
        current_app.extensions["bookshop.pricing"] = client
    return client
