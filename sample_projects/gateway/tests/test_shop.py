"""/api: cart (no I/O), checkout (pricing, catalog, shipping, fulfilment in sequence),
recommendations (retried), currency and shipping."""

from __future__ import annotations

import uuid

import httpx
import pytest


def test_healthz(client: httpx.Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"service": "gateway", "status": "ok"}


def test_healthz_answers_head(client: httpx.Client) -> None:
    assert client.head("/healthz").status_code == 200


def test_unknown_route(client: httpx.Client) -> None:
    response = client.get("/api/nothing-here")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


def test_validate_cart_merges_and_sorts_items(client: httpx.Client) -> None:
    cart = {
        "currency": "EUR",
        "items": [{"sku": "bk-101", "qty": 2}, {"sku": "BK-7"}, {"sku": "BK-101", "qty": 1}],
    }
    response = client.post("/api/cart/validate", json=cart)
    assert response.status_code == 200
    assert response.json() == {
        "currency": "EUR",
        "items": [{"qty": 3, "sku": "BK-101"}, {"qty": 1, "sku": "BK-7"}],
        "units": 4,
        "valid": True,
    }


def test_validate_cart_lists_every_problem(client: httpx.Client) -> None:
    cart = {"currency": "XXX", "items": [{"sku": "", "qty": 2}, {"sku": "A", "qty": 0}]}
    response = client.post("/api/cart/validate", json=cart)
    assert response.status_code == 422
    assert response.json() == {
        "errors": [
            "currency must be one of USD, EUR, GBP",
            "items[0].sku must be a non-empty string",
            "items[1].qty must be a positive integer",
        ],
        "valid": False,
    }


def test_validate_cart_needs_json(client: httpx.Client) -> None:
    response = client.post("/api/cart/validate", content=b"sku=BK-1")
    assert response.status_code == 422
    assert response.json() == {"errors": ["the body must be a JSON object"], "valid": False}


def test_checkout(client: httpx.Client) -> None:
    # The fulfilment service checks an HMAC of the exact request body: a 201 proves the
    # body sent is byte-for-byte the one that was signed.
    order = {
        "customer": {"name": "Zoë Kravitz", "country": "DE"},
        "currency": "EUR",
        "items": [{"sku": "BK-101", "qty": 2}, {"sku": "BK-7", "qty": 1}],
    }
    response = client.post("/api/checkout", json=order)
    assert response.status_code == 201
    assert response.json() == {
        "currency": "EUR",
        "order_ref": "FUL-E7EB3E6A27",
        "shipping": {"carrier": "DHL", "cost": "10.58", "eta_days": 5},
        "status": "accepted",
        "subtotal": "19.29",
        "total": "29.87",
    }


def test_checkout_needs_a_customer(client: httpx.Client) -> None:
    response = client.post("/api/checkout", json={"items": [{"sku": "BK-1"}]})
    assert response.status_code == 400
    assert response.json() == {
        "error": "bad_request",
        "message": "customer.name and customer.country are required",
    }


def test_checkout_with_an_invalid_cart(client: httpx.Client) -> None:
    order = {"customer": {"name": "A", "country": "DE"}, "items": []}
    response = client.post("/api/checkout", json=order)
    assert response.status_code == 422
    assert response.json() == {"errors": ["items must be a non-empty list"], "valid": False}


def test_checkout_to_a_country_nobody_ships_to(client: httpx.Client) -> None:
    order = {"customer": {"name": "Chiara", "country": "IT"}, "items": [{"sku": "BK-1"}]}
    response = client.post("/api/checkout", json=order)
    assert response.status_code == 422
    assert response.json() == {"error": "invalid_request", "message": "unsupported country 'IT'"}


def test_checkout_of_an_unknown_product(client: httpx.Client) -> None:
    order = {"customer": {"name": "A", "country": "DE"}, "items": [{"sku": "GONE-9"}]}
    response = client.post("/api/checkout", json=order)
    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "message": "unknown sku 'GONE-9'"}


def test_recommendations(client: httpx.Client) -> None:
    response = client.get("/api/recommendations/7")
    assert response.status_code == 200
    assert response.json() == {
        "customer_id": 7,
        "items": [
            {"sku": "BK-514", "title": "The Hidden Winter"},
            {"sku": "BK-275", "title": "The Quiet Winter"},
            {"sku": "BK-796", "title": "The Northern Archive"},
        ],
    }


def test_recommendations_limit(client: httpx.Client) -> None:
    response = client.get("/api/recommendations/7", params={"limit": 4})
    assert [item["sku"] for item in response.json()["items"]] == [
        "BK-514",
        "BK-275",
        "BK-796",
        "BK-845",
    ]


def test_recommendations_survive_a_flaky_upstream(client: httpx.Client, upstream_url: str) -> None:
    request_id = f"flaky2-{uuid.uuid4()}"
    response = client.get(
        "/api/recommendations/7", params={"limit": 1}, headers={"X-Request-Id": request_id}
    )
    assert response.status_code == 200
    assert response.json() == {
        "customer_id": 7,
        "items": [{"sku": "BK-514", "title": "The Hidden Winter"}],
    }
    attempts = httpx.get(f"{upstream_url}/__upstream/attempts/{request_id}").json()["attempts"]
    assert attempts == {"/recommendations/7": 3, "/catalog/products/BK-514": 3}


def test_recommendations_give_up_after_three_retries(
    client: httpx.Client, upstream_url: str
) -> None:
    request_id = f"flaky4-{uuid.uuid4()}"
    response = client.get("/api/recommendations/7", headers={"X-Request-Id": request_id})
    assert response.status_code == 503
    assert response.json() == {"error": "upstream_unavailable", "message": "upstream kept failing"}
    attempts = httpx.get(f"{upstream_url}/__upstream/attempts/{request_id}").json()["attempts"]
    assert attempts == {"/recommendations/7": 4}


def test_currency_conversion(client: httpx.Client) -> None:
    response = client.get(
        "/api/currency/convert", params={"amount": "19.99", "from": "USD", "to": "GBP"}
    )
    assert response.status_code == 200
    assert response.json() == {
        "amount": "19.99",
        "converted": "15.79",
        "rate": "0.790000",
        "source": "USD",
        "target": "GBP",
    }


def test_currency_conversion_defaults_to_dollars_to_euros(client: httpx.Client) -> None:
    response = client.get("/api/currency/convert", params={"amount": "100"})
    assert response.json() == {
        "amount": "100.00",
        "converted": "92.00",
        "rate": "0.920000",
        "source": "USD",
        "target": "EUR",
    }


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"to": "GBP"}, "amount must be a decimal number"),
        ({"amount": "5", "to": "XYZ"}, "unsupported currency 'XYZ'"),
    ],
)
def test_currency_conversion_errors(client: httpx.Client, params: dict, message: str) -> None:
    response = client.get("/api/currency/convert", params=params)
    assert response.status_code == 422
    assert response.json() == {"error": "invalid_request", "message": message}


def test_shipping_estimate(client: httpx.Client) -> None:
    response = client.get("/api/shipping/estimate", params={"country": "jp", "weight_g": 2500})
    assert response.status_code == 200
    assert response.json() == {
        "carrier": "FedEx",
        "cost": "29.00",
        "country": "JP",
        "currency": "USD",
        "eta_days": 9,
        "weight_g": 2500,
    }


def test_shipping_estimate_default_weight(client: httpx.Client) -> None:
    response = client.get("/api/shipping/estimate", params={"country": "US"})
    assert response.json() == {
        "carrier": "USPS",
        "cost": "6.49",
        "country": "US",
        "currency": "USD",
        "eta_days": 3,
        "weight_g": 500,
    }


def test_shipping_estimate_for_an_unserved_country(client: httpx.Client) -> None:
    response = client.get("/api/shipping/estimate", params={"country": "it"})
    assert response.status_code == 422
    assert response.json() == {"error": "invalid_request", "message": "unsupported country 'IT'"}
