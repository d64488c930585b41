"""/api/products with the upstreams mocked by the `responses` library."""

from __future__ import annotations

import requests
import responses

UP = "http://upstream.test"
PRODUCT = {"sku": "BK-1", "title": "Dune", "category": "books", "weight_g": 400}


def _product_routes() -> None:
    responses.add(responses.GET, f"{UP}/catalog/products/BK-1", json=PRODUCT, status=200)
    responses.get(f"{UP}/pricing/BK-1", json={"price": "9.50", "currency": "EUR"})
    responses.add(responses.GET, f"{UP}/inventory/BK-1", json={"available": 2})


@responses.activate
def test_product_page(client):
    _product_routes()
    responses.get(f"{UP}/reviews/BK-1/summary", json={"count": 2, "average": 4.5})
    response = client.get("/api/products/BK-1", query_string={"currency": "EUR"},
                          headers={"X-Request-Id": "req-1"})
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["X-Request-Id"] == "req-1"
    body = response.get_json()
    assert body["price"] == {"amount": "9.50", "currency": "EUR"}
    assert body["in_stock"] is True
    assert body["reviews"] == {"count": 2, "average": 4.5}


@responses.activate
def test_reviews_are_optional(client):
    _product_routes()
    responses.get(f"{UP}/reviews/BK-1/summary",
                  body=requests.exceptions.ConnectionError("refused"))
    response = client.get("/api/products/BK-1")
    assert response.status_code == 200
    assert response.json["reviews"] is None


@responses.activate
def test_upstream_not_found_is_passed_through(client):
    responses.add(responses.GET, f"{UP}/catalog/products/NOPE", json={"error": "no such sku"},
                  status=404)
    response = client.get("/api/products/NOPE")
    assert response.status_code == 404
    assert response.get_json() == {"error": "not_found", "message": "no such sku"}


@responses.activate
def test_upstream_timeout_is_504(client):
    responses.get(f"{UP}/catalog/products/BK-1", body=requests.exceptions.ReadTimeout())
    response = client.get("/api/products/BK-1")
    assert response.status_code == 504
    assert response.get_json()["error"] == "upstream_timeout"


def test_description_is_text(client):
    with responses.RequestsMock() as rsps:
        rsps.add(responses.GET, f"{UP}/catalog/items/BK-1/description", body="Sand. Spice.")
        response = client.get("/api/products/BK-1/description")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    assert response.get_data(as_text=True) == "Sand. Spice."
    assert response.get_json() is None


@responses.activate
def test_reviews_follow_pages(client):
    responses.get(f"{UP}/reviews/BK-1", json={
        "reviews": [{"id": 1, "rating": 5, "text": "great"}, {"id": 2, "rating": 1, "text": "no"}],
        "next": "/reviews/BK-1/more",
    })
    responses.get(f"{UP}/reviews/BK-1/more", json={
        "reviews": [{"id": 3, "rating": 4, "text": "good"}], "next": None,
    })
    response = client.get("/api/products/BK-1/reviews", query_string="min_rating=4")
    assert response.status_code == 200
    assert response.get_json() == {
        "sku": "BK-1", "pages": 2, "count": 2,
        "reviews": [{"id": 1, "rating": 5, "text": "great"}, {"id": 3, "rating": 4, "text": "good"}],
    }


@responses.activate
def test_reviews_stream(client):
    lines = b'{"id": 1, "rating": 5, "text": "a"}\n{"id": 2, "rating": 2, "text": "b"}\n'
    responses.get(f"{UP}/reviews/BK-1/export", body=lines, content_type="application/x-ndjson")
    response = client.get("/api/products/BK-1/reviews/stream", query_string={"min_rating": 3})
    assert response.status_code == 200
    assert response.mimetype == "application/x-ndjson"
    assert response.data == b'{"sku": "BK-1", "id": 1, "rating": 5, "text": "a"}\n'
