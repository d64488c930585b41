"""Warehouse stock, from the upstream inventory service."""

from __future__ import annotations

from typing import Any

import requests as rq
from flask import current_app

from ..tracing import upstream_headers


def warehouse_stock(isbn: str) -> dict[str, Any] | None:
    """The warehouse's view of a book's stock, or None when the warehouse does not carry it."""
    response = rq.get(
        current_app.config["UPSTREAM_URL"] + "/inventory/" + isbn, headers=upstream_headers()
    )
    if response.status_code == 404:
        return None
    response.raise_for_status()
    return response.json()
