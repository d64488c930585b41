"""/api/products: pages assembled from catalog, pricing, inventory and reviews, in sequence."""

from __future__ import annotations

import uuid

import httpx
import pytest

BK_100_REVIEWS = [
    {"author": "Björn", "id": "BK-100-r1", "rating": 1, "text": "A gripping read from start to finish."},
    {"author": "Farid", "id": "BK-100-r2", "rating": 1, "text": "Two stories in one:\u2028the second is better."},
    {"author": "Dmitri", "id": "BK-100-r3", "rating": 3, "text": "Très bon livre, je le recommande."},
    {"author": "Eun-ji", "id": "BK-100-r4", "rating": 5, "text": "Großartig geschrieben, aber zu lang."},
    {"author": "Björn", "id": "BK-100-r5", "rating": 1, "text": "Not for me."},
    {"author": "Farid", "id": "BK-100-r6", "rating": 3, "text": "I keep coming back to it ☕"},
    {"author": "Björn", "id": "BK-100-r7", "rating": 3, "text": "A gripping read from start to finish."},
]  # fmt: skip


def test_product_page(client: httpx.Client) -> None:
    response = client.get("/api/products/BK-101", params={"currency": "EUR"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {
        "available": 23,
        "category": "fiction",
        "in_stock": True,
        "price": {"amount": "6.43", "currency": "EUR"},
        "reviews": {"average": 4.3, "count": 3, "sku": "BK-101"},
        "sku": "BK-101",
        "title": "The Silent Archive",
    }


def test_product_page_defaults_to_dollars(client: httpx.Client) -> None:
    response = client.get("/api/products/BK-100")
    assert response.json() == {
        "available": 17,
        "category": "history",
        "in_stock": True,
        "price": {"amount": "35.99", "currency": "USD"},
        "reviews": {"average": 2.4, "count": 7, "sku": "BK-100"},
        "sku": "BK-100",
        "title": "The Hidden Orchard",
    }


def test_product_page_without_reviews_when_that_service_is_down(client: httpx.Client) -> None:
    response = client.get("/api/products/NOREV-7")
    assert response.status_code == 200
    assert response.json() == {
        "available": 26,
        "category": "poetry",
        "in_stock": True,
        "price": {"amount": "17.99", "currency": "USD"},
        "reviews": None,
        "sku": "NOREV-7",
        "title": "The Golden Archive",
    }


def test_product_page_retries_idempotent_calls(client: httpx.Client, upstream_url: str) -> None:
    # Every upstream path answers 503 twice for this request id before it succeeds.
    request_id = f"flaky2-{uuid.uuid4()}"
    response = client.get("/api/products/BK-101", headers={"X-Request-Id": request_id})
    assert response.status_code == 200
    assert response.headers["x-request-id"] == request_id
    assert response.json()["reviews"] == {"average": 4.3, "count": 3, "sku": "BK-101"}
    attempts = httpx.get(f"{upstream_url}/__upstream/attempts/{request_id}").json()["attempts"]
    assert attempts == {
        "/catalog/products/BK-101": 3,
        "/pricing/BK-101": 3,
        "/inventory/BK-101": 3,
        "/reviews/BK-101/summary": 3,
    }


def test_unknown_product(client: httpx.Client) -> None:
    response = client.get("/api/products/GONE-1")
    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "message": "unknown sku 'GONE-1'"}


def test_catalog_server_error(client: httpx.Client) -> None:
    response = client.get("/api/products/BOOM-1")
    assert response.status_code == 502
    assert response.json() == {"error": "upstream_error", "upstream_status": 500}


def test_catalog_sends_malformed_json(client: httpx.Client) -> None:
    response = client.get("/api/products/BAD-1")
    assert response.status_code == 502
    assert response.json() == {
        "error": "bad_upstream_payload",
        "message": "upstream sent invalid JSON",
    }


def test_catalog_times_out(client: httpx.Client) -> None:
    response = client.get("/api/products/SLOW-1")
    assert response.status_code == 504
    assert response.json() == {
        "error": "upstream_timeout",
        "message": "upstream did not answer in time",
    }


def test_description_follows_the_catalogs_redirect(client: httpx.Client) -> None:
    response = client.get("/api/products/BK-101/description")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.text == "The Silent Archive — a fiction title. Café-tested, naïvely charming.\n"


def test_description_of_an_unknown_product(client: httpx.Client) -> None:
    response = client.get("/api/products/GONE-2/description")
    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "message": "unknown sku 'GONE-2'"}


def test_reviews_follow_every_page(client: httpx.Client) -> None:
    response = client.get("/api/products/BK-100/reviews")
    assert response.status_code == 200
    assert response.json() == {"count": 7, "pages": 3, "reviews": BK_100_REVIEWS, "sku": "BK-100"}


def test_reviews_filtered_by_rating(client: httpx.Client) -> None:
    response = client.get("/api/products/BK-100/reviews", params={"min_rating": 3})
    assert response.json() == {
        "count": 4,
        "pages": 3,
        "reviews": [r for r in BK_100_REVIEWS if r["rating"] >= 3],
        "sku": "BK-100",
    }


def test_reviews_of_an_unknown_product(client: httpx.Client) -> None:
    response = client.get("/api/products/GONE-4/reviews")
    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "message": "unknown sku 'GONE-4'"}


def test_review_stream(client: httpx.Client) -> None:
    with client.stream("GET", "/api/products/BK-101/reviews/stream") as response:
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/x-ndjson"
        assert "content-length" not in response.headers
        body = response.read()
    # json.dumps escapes U+2028 and accents: each review stays on one line.
    assert body == (
        b'{"sku": "BK-101", "id": "BK-101-r1", "rating": 5, '
        b'"text": "A gripping read from start to finish."}\n'
        b'{"sku": "BK-101", "id": "BK-101-r2", "rating": 5, '
        b'"text": "Two stories in one:\\u2028the second is better."}\n'
        b'{"sku": "BK-101", "id": "BK-101-r3", "rating": 3, '
        b'"text": "Tr\\u00e8s bon livre, je le recommande."}\n'
    )


@pytest.mark.parametrize(("min_rating", "ids"), [(4, ["r4"]), (6, [])])
def test_review_stream_filtered_by_rating(
    client: httpx.Client, min_rating: int, ids: list[str]
) -> None:
    response = client.get("/api/products/BK-100/reviews/stream", params={"min_rating": min_rating})
    assert response.status_code == 200
    lines = response.text.splitlines()
    assert [line.split('"id": "BK-100-')[1][:2] for line in lines] == ids


def test_review_stream_of_an_unknown_product(client: httpx.Client) -> None:
    response = client.get("/api/products/GONE-3/reviews/stream")
    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "message": "unknown sku 'GONE-3'"}
