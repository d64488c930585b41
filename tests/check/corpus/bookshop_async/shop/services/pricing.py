# ruff: noqa
from __future__ import annotations

from typing import Any

import httpx


class PricingClient:
    def __init__(self, base_url: str, timeout: float) -> None:
        self.client = httpx.AsyncClient(base_url=base_url, timeout=timeout)

    async def price_for(self, isbn: str, *, currency: str) -> dict[str, Any]:
        response = await self.client.get(f"/prices/{isbn}", params={"currency": currency})
        response.raise_for_status()
        return response.json()
