"""/api/books: the catalogue from PostgreSQL, prices and stock from mocked upstreams."""

from __future__ import annotations

import responses

UP = "http://upstream.test"
ISBN = "9780553803716"


def test_list_books(client):
    response = client.get("/api/books/", query_string={"per_page": 2, "sort": "title"})
    assert response.status_code == 200
    body = response.get_json()
    assert body["page"] == 1 and body["per_page"] == 2 and len(body["items"]) == 2
    assert body["total"] >= 2


def test_book_detail_and_404(client):
    assert client.get("/api/books/1").get_json()["isbn"] == ISBN
    missing = client.get("/api/books/999999")
    assert missing.status_code == 404
    assert missing.mimetype == "application/json"


def test_bad_paging_is_400(client):
    response = client.get("/api/books/?page=0")
    assert response.status_code == 400


@responses.activate
def test_price_from_the_pricing_service(client):
    responses.add(responses.GET, f"{UP}/pricing/{ISBN}", status=200, json={
        "currency": "EUR", "list_price": "13.80", "discount": "0.00", "price": "13.80",
    })
    response = client.get("/api/books/1/price", query_string={"currency": "EUR"})
    assert response.status_code == 200
    assert response.get_json()["price"] == "13.80"
    assert len(responses.calls) == 1


@responses.activate
def test_pricing_refusal_is_passed_through(client):
    responses.get(f"{UP}/pricing/{ISBN}", status=422, json={"error": "unknown coupon"})
    response = client.get("/api/books/1/price?coupon=NOPE")
    assert response.status_code == 422
    assert b"unknown coupon" in response.data


def test_availability(client, requests_mock):
    requests_mock.get(f"{UP}/inventory/{ISBN}", json={"warehouse": "east", "available": 4})
    response = client.get("/api/books/1/availability")
    assert response.status_code == 200
    assert response.get_json()["warehouse_stock"] == 4
    assert response.get_json()["can_order"] is True


def test_availability_not_carried(client, requests_mock):
    requests_mock.get(f"{UP}/inventory/{ISBN}", status_code=404, json={"error": "not carried"})
    response = client.get("/api/books/1/availability")
    assert response.status_code == 200
    assert response.get_json()["warehouse"] is None


def test_isbn_tool_needs_no_io(client):
    good = client.get("/api/tools/isbn", query_string={"isbn": ISBN})
    assert good.status_code == 200
    assert client.get("/api/tools/isbn?isbn=123").status_code == 422
