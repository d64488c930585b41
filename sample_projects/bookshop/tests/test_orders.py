"""/api/orders: placing (DB transaction + pricing and shipping services), listing, reading
and cancelling orders."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
import pytest

ORDER_2 = {
    "created_at": "Fri, 15 Mar 2024 14:05:00 GMT",
    "currency": "EUR",
    "customer": {"id": 2, "name": "Bruno Schäfer"},
    "id": 2,
    "lines": [
        {"book_id": 1, "qty": 1, "title": "The Left Hand of Darkness", "unit_price": "13.79"},
        {"book_id": 3, "qty": 1, "title": "Cien años de soledad", "unit_price": "16.56"},
    ],
    "shipping": {"carrier": "DHL", "country": "DE", "eta_days": 5},
    "shipping_cost": "7.36",
    "status": "placed",
    "total": "37.71",
}


def stock(client: httpx.Client, book_id: int) -> int:
    return client.get(f"/api/books/{book_id}").json()["stock"]


def order_count(query: Callable[..., Any]) -> int:
    return query("SELECT count(*) FROM orders")[0][0]


def assert_recent(http_date: str) -> None:
    created = parsedate_to_datetime(http_date)
    assert abs(datetime.now(UTC) - created) < timedelta(minutes=5)


def test_place_order(client: httpx.Client, auth: dict[str, str], query: Callable[..., Any]) -> None:
    order = {"customer_id": 1, "items": [{"book_id": 5, "qty": 2}, {"book_id": 2, "qty": 1}]}
    response = client.post("/api/orders/", json=order, headers=auth)
    assert response.status_code == 201
    assert response.headers["location"] == "/api/orders/4"
    body = response.json()
    assert_recent(body.pop("created_at"))
    assert body == {
        "currency": "USD",
        "customer": {"id": 1, "name": "Alice Martin"},
        "id": 4,
        "lines": [
            {"book_id": 2, "qty": 1, "title": "The Dispossessed", "unit_price": "42.99"},
            {"book_id": 5, "qty": 2, "title": "Americanah", "unit_price": "7.99"},
        ],
        "shipping": {"carrier": "USPS", "country": "US", "eta_days": 3},
        "shipping_cost": "7.99",
        "status": "placed",
        "total": "66.96",
    }
    assert (stock(client, 2), stock(client, 5)) == (2, 7)
    assert query("SELECT book_id, qty FROM order_lines WHERE order_id = 4 ORDER BY 1") == [
        (2, 1),
        (5, 2),
    ]
    assert client.get("/api/orders/4").json() == {
        **body,
        "created_at": response.json()["created_at"],
    }


def test_place_order_needs_the_token(client: httpx.Client, query: Callable[..., Any]) -> None:
    order = {"customer_id": 1, "items": [{"book_id": 1, "qty": 1}]}
    response = client.post("/api/orders/", json=order, headers={"X-Api-Token": "wrong"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Token realm="bookshop"'
    assert response.json() == {
        "error": "unauthorized",
        "message": "missing or invalid X-Api-Token",
    }
    assert order_count(query) == 3


def test_insufficient_stock_rolls_the_whole_order_back(
    client: httpx.Client, auth: dict[str, str], query: Callable[..., Any]
) -> None:
    # Book 1 is decremented first (12 in stock), then book 7 (2 in stock) cannot supply 5.
    order = {"customer_id": 1, "items": [{"book_id": 1, "qty": 1}, {"book_id": 7, "qty": 5}]}
    response = client.post("/api/orders/", json=order, headers=auth)
    assert response.status_code == 409
    assert response.json() == {
        "book_id": 7,
        "error": "insufficient_stock",
        "message": "not enough stock for book 7",
    }
    assert (stock(client, 1), stock(client, 7)) == (12, 2)
    assert order_count(query) == 3
    assert query("SELECT count(*) FROM order_lines") == [(6,)]


def test_order_for_a_country_the_carrier_does_not_serve(
    client: httpx.Client, auth: dict[str, str], query: Callable[..., Any]
) -> None:
    order = {"customer_id": 3, "items": [{"book_id": 1, "qty": 1}]}
    response = client.post("/api/orders/", json=order, headers=auth)
    assert response.status_code == 422
    assert response.json() == {
        "country": "IT",
        "error": "shipping_unavailable",
        "message": "unsupported country 'IT'",
    }
    assert stock(client, 1) == 12
    assert order_count(query) == 3


def test_shipping_quote_is_retried(
    client: httpx.Client, auth: dict[str, str], upstream_url: str
) -> None:
    # The shipping service answers 503 twice for this request id, then succeeds.
    request_id = f"flaky2-{uuid.uuid4()}"
    order = {"customer_id": 2, "currency": "EUR", "items": [{"book_id": 8, "qty": 1}]}
    response = client.post("/api/orders/", json=order, headers={**auth, "X-Request-Id": request_id})
    assert response.status_code == 201
    body = response.json()
    assert (body["id"], body["shipping_cost"], body["total"]) == (4, "8.74", "21.61")
    assert body["lines"] == [
        {"book_id": 8, "qty": 1, "title": "View with a Grain of Sand", "unit_price": "12.87"}
    ]
    attempts = httpx.get(f"{upstream_url}/__upstream/attempts/{request_id}").json()["attempts"]
    assert attempts == {"/shipping/quote": 3}


def test_shipping_quote_gives_up_after_three_attempts(
    client: httpx.Client, auth: dict[str, str], query: Callable[..., Any], upstream_url: str
) -> None:
    request_id = f"flaky3-{uuid.uuid4()}"
    order = {"customer_id": 2, "items": [{"book_id": 8, "qty": 1}]}
    response = client.post("/api/orders/", json=order, headers={**auth, "X-Request-Id": request_id})
    assert response.status_code == 502
    assert response.json() == {
        "error": "upstream_error",
        "message": "an upstream service failed",
        "upstream_status": 503,
    }
    assert order_count(query) == 3
    attempts = httpx.get(f"{upstream_url}/__upstream/attempts/{request_id}").json()["attempts"]
    assert attempts == {"/shipping/quote": 3}


@pytest.mark.parametrize(
    ("order", "message"),
    [
        ({"customer_id": 99, "items": [{"book_id": 1, "qty": 1}]}, "customer 99 does not exist"),
        ({"customer_id": 1, "items": [{"book_id": 42, "qty": 1}]}, "unknown book ids: [42]"),
        (
            {"customer_id": "1", "items": [{"book_id": 1, "qty": 1}]},
            "customer_id must be an integer",
        ),
        ({"customer_id": 1, "items": []}, "items must be a list of 1 to 20 entries"),
        (
            {"customer_id": 1, "items": [{"book_id": 1, "qty": 0}]},
            "each item needs an integer book_id and a qty from 1 to 10",
        ),
        (
            {"customer_id": 1, "items": [{"book_id": 1, "qty": 1}, {"book_id": 1, "qty": 2}]},
            "book 1 appears twice",
        ),
        (
            {"customer_id": 1, "currency": "JPY", "items": [{"book_id": 1, "qty": 1}]},
            "currency must be one of USD, EUR, GBP",
        ),
        ([1, 2], "the body must be a JSON object"),
    ],
)
def test_invalid_orders(
    client: httpx.Client, auth: dict[str, str], query: Callable[..., Any], order: Any, message: str
) -> None:
    response = client.post("/api/orders/", json=order, headers=auth)
    assert response.status_code == 422
    assert response.json() == {"error": "invalid_order", "message": message}
    assert order_count(query) == 3


def test_order_body_must_be_json(client: httpx.Client, auth: dict[str, str]) -> None:
    response = client.post("/api/orders/", data={"customer_id": "1"}, headers=auth)
    assert response.status_code == 415
    assert response.json()["error"] == "unsupported_media_type"


def test_order_body_must_be_well_formed_json(client: httpx.Client, auth: dict[str, str]) -> None:
    headers = {**auth, "Content-Type": "application/json"}
    response = client.post("/api/orders/", content=b'{"customer_id": 1,', headers=headers)
    assert response.status_code == 400
    assert response.json()["error"] == "bad_request"


def test_list_a_customers_orders(client: httpx.Client) -> None:
    response = client.get("/api/orders/", params={"customer_id": 1})
    assert response.status_code == 200
    assert response.json() == {
        "orders": [
            {"currency": "USD", "id": 1, "placed_at": "2024-03-01T09:30:00+00:00",
             "status": "shipped", "total": "47.77"},
            {"currency": "USD", "id": 3, "placed_at": "2024-04-02T18:45:10+00:00",
             "status": "placed", "total": "65.89"},
        ]
    }  # fmt: skip


def test_list_orders_since_a_date(client: httpx.Client) -> None:
    response = client.get("/api/orders/", params={"customer_id": 1, "since": "2024-03-02"})
    assert [order["id"] for order in response.json()["orders"]] == [3]


def test_list_orders_by_status(client: httpx.Client) -> None:
    response = client.get("/api/orders/", params={"customer_id": 1, "status": "shipped"})
    assert [order["id"] for order in response.json()["orders"]] == [1]


def test_list_orders_of_a_customer_without_any(client: httpx.Client) -> None:
    response = client.get("/api/orders/", params={"customer_id": 3})
    assert response.json() == {"orders": []}


def test_list_orders_needs_a_customer(client: httpx.Client) -> None:
    response = client.get("/api/orders/")
    assert response.status_code == 400
    assert response.json() == {"error": "bad_request", "message": "customer_id is required"}


def test_list_orders_rejects_a_bad_date(client: httpx.Client) -> None:
    response = client.get("/api/orders/", params={"customer_id": 1, "since": "last week"})
    assert response.status_code == 400
    assert response.json() == {
        "error": "bad_request",
        "message": "since must be an ISO 8601 date or datetime",
    }


def test_get_order(client: httpx.Client) -> None:
    response = client.get("/api/orders/2")
    assert response.status_code == 200
    assert response.json() == ORDER_2


def test_get_missing_order(client: httpx.Client) -> None:
    response = client.get("/api/orders/99")
    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "message": "order 99 not found"}


def test_cancel_order_restocks_its_books(
    client: httpx.Client, auth: dict[str, str], query: Callable[..., Any]
) -> None:
    response = client.delete("/api/orders/2", headers=auth)
    assert response.status_code == 204
    assert response.content == b""
    assert client.get("/api/orders/2").json() == {**ORDER_2, "status": "cancelled"}
    assert (stock(client, 1), stock(client, 3)) == (13, 8)
    assert query("SELECT status FROM orders WHERE id = 2") == [("cancelled",)]


def test_cancel_twice(client: httpx.Client, auth: dict[str, str]) -> None:
    assert client.delete("/api/orders/2", headers=auth).status_code == 204
    response = client.delete("/api/orders/2", headers=auth)
    assert response.status_code == 409
    assert response.json() == {
        "error": "not_cancellable",
        "message": "order 2 is cancelled",
        "status": "cancelled",
    }
    assert stock(client, 1) == 13


def test_cancel_a_shipped_order(client: httpx.Client, auth: dict[str, str]) -> None:
    response = client.delete("/api/orders/1", headers=auth)
    assert response.status_code == 409
    assert response.json() == {
        "error": "not_cancellable",
        "message": "order 1 is shipped",
        "status": "shipped",
    }


def test_cancel_a_missing_order(client: httpx.Client, auth: dict[str, str]) -> None:
    response = client.delete("/api/orders/99", headers=auth)
    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "message": "order 99 not found"}


def test_cancel_needs_the_token(client: httpx.Client, query: Callable[..., Any]) -> None:
    response = client.delete("/api/orders/2")
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"
    assert query("SELECT status FROM orders WHERE id = 2") == [("placed",)]
