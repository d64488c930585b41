# Async twin of bookshop.services.inventory, written by `asyncify apply` (re-run it; do not edit).
# What is not here comes from the legacy module.
"""Warehouse stock, from the upstream inventory service."""

from __future__ import annotations

from typing import Any

from asyncify.compat import http_client, requests_headers
from flask import current_app

from bookshop.tracing import upstream_headers


async def warehouse_stock(isbn: str) -> dict[str, Any] | None:
    """The warehouse's view of a book's stock, or None when the warehouse does not carry it."""
    # TODO[asyncify ASY104]: current_app: use asyncify.compat.current_config() or request.app.state — https://asyncify.readthedocs.io/en/latest/rules/#asy104
    # TODO[asyncify ASY201]: requests had no timeout here (it waits forever); timeout=None keeps that, choose a bound — https://asyncify.readthedocs.io/en/latest/rules/#asy201
    response = await http_client().get(
        current_app.config["UPSTREAM_URL"] + "/inventory/" + isbn,
        headers=requests_headers(upstream_headers()),
        timeout=None,
        follow_redirects=True,
    )
    if response.status_code == 404:
        return None
    response.raise_for_status()
    return response.json()
