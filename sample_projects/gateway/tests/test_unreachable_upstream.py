"""A gateway whose upstream refuses connections: 502, and endpoints without I/O still work."""

from __future__ import annotations

import httpx


def test_product_page(cut_off_client: httpx.Client) -> None:
    response = cut_off_client.get("/api/products/BK-101")
    assert response.status_code == 502
    assert response.json() == {"error": "upstream_unreachable", "message": "cannot reach upstream"}


def test_checkout(cut_off_client: httpx.Client) -> None:
    order = {"customer": {"name": "A", "country": "DE"}, "items": [{"sku": "BK-1"}]}
    response = cut_off_client.post("/api/checkout", json=order)
    assert response.status_code == 502
    assert response.json() == {"error": "upstream_unreachable", "message": "cannot reach upstream"}


def test_currency_conversion(cut_off_client: httpx.Client) -> None:
    response = cut_off_client.get("/api/currency/convert", params={"amount": "1"})
    assert response.status_code == 502
    assert response.json() == {"error": "upstream_unreachable", "message": "cannot reach upstream"}


def test_endpoints_without_io_still_answer(cut_off_client: httpx.Client) -> None:
    assert cut_off_client.get("/healthz").status_code == 200
    response = cut_off_client.post("/api/cart/validate", json={"items": [{"sku": "BK-1"}]})
    assert response.status_code == 200
