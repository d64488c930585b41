# Async twin of bookshop.services.pricing, written by `asyncify apply` (re-run it; do not edit).
# What is not here comes from the legacy module.
"""Client for the upstream pricing service."""

from __future__ import annotations

from typing import Any

from asyncify.compat import adopt

import bookshop.services.pricing
from bookshop.tracing import upstream_headers


class PricingClient(bookshop.services.pricing.PricingClient):
    """Async twin of bookshop.services.pricing.PricingClient.

    The legacy app creates the object; twin code gets this view of it from `adopt`:
    the same state, with its HTTP session as an httpx client (same headers, params,
    retries and hooks).
    """

    async def price_for(
        self,
        isbn: str,
        *,
        currency: str,
        coupon: str | None = None,
    ) -> dict[str, Any]:
        response = await self.session.get(
            f"{self.base_url}/pricing/{isbn}",
            params={"currency": currency, "coupon": coupon},
            headers=upstream_headers(),
            timeout=self.timeout,
            follow_redirects=True,
        )
        response.raise_for_status()
        return response.json()

    async def quote(self, lines: list[dict[str, Any]], *, currency: str) -> dict[str, Any]:
        response = await self.session.post(
            f"{self.base_url}/pricing/quote",
            json={"currency": currency, "items": lines},
            headers=upstream_headers(),
            timeout=self.timeout,
            follow_redirects=True,
        )
        response.raise_for_status()
        return response.json()


def get_pricing_client() -> PricingClient:
    """What the legacy bookshop.services.pricing.get_pricing_client() returns, seen through its async twin."""
    return adopt(bookshop.services.pricing.get_pricing_client(), PricingClient)
