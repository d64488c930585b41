"""Shipping quotes from the upstream shipping service, retried on 502/503/504."""

from __future__ import annotations

import time
from typing import Any

import requests
from flask import current_app

from ..errors import ShippingUnavailable
from ..tracing import upstream_headers

ATTEMPTS = 3
BACKOFF_SECONDS = 0.05
RETRY_STATUSES = frozenset({502, 503, 504})


def quote_shipping(country: str, weight_g: int, currency: str) -> dict[str, Any]:
    config = current_app.config
    for attempt in range(1, ATTEMPTS + 1):
        response = requests.get(
            f"{config['UPSTREAM_URL']}/shipping/quote",
            params={"country": country, "weight_g": weight_g, "currency": currency},
            headers=upstream_headers(),
            timeout=config["UPSTREAM_TIMEOUT"],
        )
        if response.status_code not in RETRY_STATUSES or attempt == ATTEMPTS:
            break
        time.sleep(BACKOFF_SECONDS * attempt)
    if response.status_code == 422:
        raise ShippingUnavailable(response.json()["error"], country=country)
    response.raise_for_status()
    return response.json()
