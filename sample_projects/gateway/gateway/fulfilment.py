"""Hand a paid order to the fulfilment service, signed with a shared secret."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import requests
from flask import current_app

from .tracing import trace_headers


def sign(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def submit_order(order: dict[str, Any]) -> dict[str, Any]:
    config = current_app.config
    # requests serialises json= with json.dumps defaults, so this is the exact body sent.
    signature = sign(json.dumps(order).encode(), config["FULFILMENT_SECRET"])
    response = requests.post(
        config["UPSTREAM_URL"] + "/fulfilment/orders",
        json=order,
        headers={"X-Signature": signature, **trace_headers()},
        timeout=config["UPSTREAM_TIMEOUT"],
    )
    response.raise_for_status()
    return response.json()
