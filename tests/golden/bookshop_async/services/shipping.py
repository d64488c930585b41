# Async twin of bookshop.services.shipping, written by `asyncify apply` (re-run it; do not edit).
# What is not here comes from the legacy module.
"""Shipping quotes from the upstream shipping service, retried on 502/503/504."""

from __future__ import annotations

import asyncio
from typing import Any

from asyncify.compat import http_client, requests_headers, requests_params
from flask import current_app

from bookshop.errors import ShippingUnavailable
from bookshop.tracing import upstream_headers

ATTEMPTS = 3
BACKOFF_SECONDS = 0.05
RETRY_STATUSES = frozenset({502, 503, 504})


async def quote_shipping(country: str, weight_g: int, currency: str) -> dict[str, Any]:
    # TODO[asyncify ASY104]: current_app: use asyncify.compat.current_config() or request.app.state — https://asyncify.readthedocs.io/en/latest/rules/#asy104
    config = current_app.config
    for attempt in range(1, ATTEMPTS + 1):
        # TODO[asyncify ASY201]: httpx replaces a query string already in the URL when params= is given (requests appends): check the URL never carries one — https://asyncify.readthedocs.io/en/latest/rules/#asy201
        response = await http_client().get(
            f"{config['UPSTREAM_URL']}/shipping/quote",
            params=requests_params({"country": country, "weight_g": weight_g, "currency": currency}),
            headers=requests_headers(upstream_headers()),
            timeout=config["UPSTREAM_TIMEOUT"],
            follow_redirects=True,
        )
        if response.status_code not in RETRY_STATUSES or attempt == ATTEMPTS:
            break
        await asyncio.sleep(BACKOFF_SECONDS * attempt)
    if response.status_code == 422:
        raise ShippingUnavailable(response.json()["error"], country=country)
    response.raise_for_status()
    return response.json()
