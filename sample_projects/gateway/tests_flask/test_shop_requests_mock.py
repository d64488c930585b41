"""/api (checkout, recommendations, shipping) with the upstreams mocked by requests-mock:
the pytest fixture and the Mocker context manager."""

from __future__ import annotations

import requests
import requests_mock

UP = "http://upstream.test"
ORDER = {"customer": {"name": "Ada", "country": "DE"}, "currency": "EUR",
         "items": [{"sku": "bk-1", "qty": 2}]}


def test_checkout(client, requests_mock):
    requests_mock.post(f"{UP}/pricing/quote", json={"subtotal": "19.00"})
    requests_mock.get(f"{UP}/catalog/products/BK-1", json={"sku": "BK-1", "weight_g": 400})
    requests_mock.get(f"{UP}/shipping/quote",
                      json={"carrier": "DHL", "cost": "4.50", "eta_days": 2})
    requests_mock.register_uri("POST", f"{UP}/fulfilment/orders",
                               json={"order_ref": "ORD-1", "status": "accepted"},
                               status_code=201)
    response = client.post("/api/checkout", json=ORDER)
    assert response.status_code == 201
    body = response.get_json()
    assert body["order_ref"] == "ORD-1"
    assert body["total"] == "23.50"
    assert body["shipping"] == {"carrier": "DHL", "cost": "4.50", "eta_days": 2}
    assert requests_mock.called
    assert requests_mock.call_count == 4


def test_checkout_needs_a_customer(client):
    response = client.post("/api/checkout", data='{"items": [{"sku": "A"}]}',
                           content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["error"] == "bad_request"


def test_checkout_fulfilment_down(client, requests_mock):
    requests_mock.post(f"{UP}/pricing/quote", json={"subtotal": "9.50"})
    requests_mock.get(f"{UP}/catalog/products/BK-1", json={"sku": "BK-1", "weight_g": 400})
    requests_mock.get(f"{UP}/shipping/quote",
                      json={"carrier": "DHL", "cost": "4.50", "eta_days": 2})
    requests_mock.post(f"{UP}/fulfilment/orders", exc=requests.exceptions.ConnectTimeout)
    response = client.post("/api/checkout", json={**ORDER, "items": [{"sku": "BK-1"}]})
    # ConnectTimeout is also a ConnectionError: the gateway's handler for that answers.
    assert response.status_code == 502
    assert response.get_json()["error"] == "upstream_unreachable"


def test_checkout_fulfilment_slow(client, requests_mock):
    requests_mock.post(f"{UP}/pricing/quote", json={"subtotal": "9.50"})
    requests_mock.get(f"{UP}/catalog/products/BK-1", json={"sku": "BK-1", "weight_g": 400})
    requests_mock.get(f"{UP}/shipping/quote",
                      json={"carrier": "DHL", "cost": "4.50", "eta_days": 2})
    requests_mock.post(f"{UP}/fulfilment/orders", exc=requests.exceptions.ReadTimeout)
    response = client.post("/api/checkout", json={**ORDER, "items": [{"sku": "BK-1"}]})
    assert response.status_code == 504


def test_recommendations(client):
    with requests_mock.Mocker() as m:
        m.get(f"{UP}/recommendations/7", json={"skus": ["BK-1"]})
        m.get(f"{UP}/catalog/products/BK-1", json={"sku": "BK-1", "title": "Dune"})
        response = client.get("/api/recommendations/7", query_string={"limit": 1})
        assert m.call_count == 2
    assert response.status_code == 200
    assert response.get_json() == {"customer_id": 7, "items": [{"sku": "BK-1", "title": "Dune"}]}


def test_shipping_estimate(client, requests_mock):
    requests_mock.get(f"{UP}/shipping/quote", json={"carrier": "UPS", "cost": "7.00", "eta_days": 3},
          headers={"X-Upstream": "shipping"})
    response = client.get("/api/shipping/estimate?country=fr&weight_g=900")
    assert response.status_code == 200
    assert response.get_json() == {"carrier": "UPS", "cost": "7.00", "eta_days": 3}
    assert requests_mock.called


def test_validate_cart_form_is_not_json(client):
    response = client.post("/api/cart/validate", data={"items": "x"})
    assert response.status_code == 422
    assert response.get_json() == {"valid": False, "errors": ["the body must be a JSON object"]}
