"""/api/books: catalogue (DB), prices (DB + pricing service), stock (DB + inventory service),
excerpts (DB + files)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

# The seeded catalogue exactly as the API renders it (Flask JSON: Decimal as a string, dates
# as HTTP dates).
AUTHORS = {
    1: "Ursula K. Le Guin",
    2: "Gabriel García Márquez",
    3: "Chimamanda Ngozi Adichie",
    4: "Haruki Murakami",
    5: "Wisława Szymborska",
}


def _book(
    id: int,
    isbn: str,
    title: str,
    author_id: int,
    price: str,
    stock: int,
    published: str,
    metadata: dict[str, Any],
    updated: str,
) -> dict[str, Any]:
    return {
        "author": {"id": author_id, "name": AUTHORS[author_id]},
        "id": id,
        "in_stock": stock > 0,
        "isbn": isbn,
        "list_price": price,
        "metadata": metadata,
        "published_on": published,
        "stock": stock,
        "title": title,
        "updated_at": updated,
    }


BOOKS = {
    1: _book(1, "9780553803716", "The Left Hand of Darkness", 1, "14.99", 12,
             "Sat, 01 Mar 1969 00:00:00 GMT",
             {"format": "paperback", "tags": ["sci-fi", "classic"], "weight_g": 320},
             "Wed, 10 Jan 2024 09:00:00 GMT"),
    2: _book(2, "9780441004782", "The Dispossessed", 1, "15.50", 3,
             "Wed, 01 May 1974 00:00:00 GMT",
             {"format": "paperback", "tags": ["sci-fi"], "weight_g": 380},
             "Wed, 10 Jan 2024 09:00:00 GMT"),
    3: _book(3, "9780307474728", "Cien años de soledad", 2, "18.00", 7,
             "Tue, 30 May 1967 00:00:00 GMT",
             {"format": "hardcover", "language": "es", "tags": ["magical realism"],
              "weight_g": 540},
             "Thu, 11 Jan 2024 11:15:00 GMT"),
    4: _book(4, "9781400095209", "Half of a Yellow Sun", 3, "13.25", 0,
             "Fri, 11 Aug 2006 00:00:00 GMT",
             {"format": "paperback", "tags": ["historical"], "weight_g": 450},
             "Fri, 12 Jan 2024 13:30:00 GMT"),
    5: _book(5, "9780307271082", "Americanah", 3, "16.40", 9,
             "Tue, 14 May 2013 00:00:00 GMT",
             {"format": "paperback", "tags": ["literary"], "weight_g": 480},
             "Fri, 12 Jan 2024 13:30:00 GMT"),
    6: _book(6, "9781400079810", "Kafka on the Shore", 4, "12.80", 5,
             "Thu, 12 Sep 2002 00:00:00 GMT",
             {"format": "paperback", "language": "en", "tags": ["surreal"], "weight_g": 510},
             "Mon, 15 Jan 2024 08:45:00 GMT"),
    7: _book(7, "9780375704024", "Norwegian Wood", 4, "11.95", 2,
             "Fri, 04 Sep 1987 00:00:00 GMT",
             {"format": "paperback", "tags": ["literary"], "weight_g": 300},
             "Mon, 15 Jan 2024 08:45:00 GMT"),
    8: _book(8, "9780156000215", "View with a Grain of Sand", 5, "21.00", 4,
             "Fri, 01 Sep 1995 00:00:00 GMT",
             {"format": "hardcover", "language": "en", "tags": ["poetry"], "weight_g": 210},
             "Sat, 20 Jan 2024 17:00:00 GMT"),
}  # fmt: skip


def page(ids: list[int], *, page: int = 1, per_page: int = 5, total: int = 8) -> dict:
    return {"items": [BOOKS[i] for i in ids], "page": page, "per_page": per_page, "total": total}


def test_list_defaults_to_first_page_sorted_by_title(client: httpx.Client) -> None:
    response = client.get("/api/books/")
    assert response.status_code == 200
    assert response.json() == page([5, 3, 4, 6, 7])


def test_list_second_page_sorted_by_price(client: httpx.Client) -> None:
    response = client.get("/api/books/", params={"sort": "price", "page": 2, "per_page": 2})
    assert response.json() == page([4, 1], page=2, per_page=2)


def test_list_sorted_by_publication_date(client: httpx.Client) -> None:
    response = client.get("/api/books/", params={"sort": "published", "per_page": 8})
    assert response.json() == page([3, 1, 2, 7, 8, 6, 4, 5], per_page=8)


def test_list_filtered_by_author(client: httpx.Client) -> None:
    response = client.get("/api/books/", params={"author_id": 3})
    assert response.json() == page([5, 4], total=2)


def test_list_filtered_by_title_substring(client: httpx.Client) -> None:
    response = client.get("/api/books/", params={"q": "THE"})
    assert response.json() == page([6, 2, 1], total=3)


def test_list_past_the_end_is_empty(client: httpx.Client) -> None:
    response = client.get("/api/books/", params={"page": 3})
    assert response.json() == page([], page=3)


def test_list_ignores_a_non_numeric_page(client: httpx.Client) -> None:
    # request.args.get("page", 1, type=int) falls back to the default.
    response = client.get("/api/books/", params={"page": "two"})
    assert response.status_code == 200
    assert response.json() == page([5, 3, 4, 6, 7])


def test_list_rejects_an_unknown_sort_key(client: httpx.Client) -> None:
    response = client.get("/api/books/", params={"sort": "isbn"})
    assert response.status_code == 400
    assert response.json() == {
        "error": "bad_request",
        "message": "sort must be one of: price, published, title",
    }


def test_list_rejects_a_page_size_of_zero(client: httpx.Client) -> None:
    response = client.get("/api/books/", params={"per_page": 0})
    assert response.status_code == 400
    assert response.json() == {
        "error": "bad_request",
        "message": "page must be >= 1 and per_page between 1 and 50",
    }


@pytest.mark.parametrize("book_id", [1, 3, 4])
def test_detail(client: httpx.Client, book_id: int) -> None:
    response = client.get(f"/api/books/{book_id}")
    assert response.status_code == 200
    assert response.json() == BOOKS[book_id]


def test_json_encoding_matches_flask_defaults(client: httpx.Client) -> None:
    # Sorted keys, ASCII-only escapes, compact separators, a trailing newline, Decimal as a
    # string, dates as HTTP dates: clients may depend on any of these.
    response = client.get("/api/books/3")
    assert response.text == (
        '{"author":{"id":2,"name":"Gabriel Garc\\u00eda M\\u00e1rquez"},"id":3,"in_stock":true,'
        '"isbn":"9780307474728","list_price":"18.00","metadata":{"format":"hardcover",'
        '"language":"es","tags":["magical realism"],"weight_g":540},'
        '"published_on":"Tue, 30 May 1967 00:00:00 GMT","stock":7,'
        '"title":"Cien a\\u00f1os de soledad","updated_at":"Thu, 11 Jan 2024 11:15:00 GMT"}\n'
    )


def test_detail_of_a_missing_book(client: httpx.Client) -> None:
    response = client.get("/api/books/99")
    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "message": "book 99 not found"}


def test_detail_with_a_negative_id_does_not_match_the_route(client: httpx.Client) -> None:
    response = client.get("/api/books/-1")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


def test_bestsellers_is_not_shadowed_by_the_book_id_route(client: httpx.Client) -> None:
    response = client.get("/api/books/bestsellers")
    assert response.status_code == 200
    assert response.json() == {
        "items": [
            {"copies": 4, "id": 6, "title": "Kafka on the Shore"},
            {"copies": 3, "id": 1, "title": "The Left Hand of Darkness"},
            {"copies": 1, "id": 3, "title": "Cien años de soledad"},
        ]
    }


def test_bestsellers_limit(client: httpx.Client) -> None:
    response = client.get("/api/books/bestsellers", params={"limit": 1})
    assert response.json() == {"items": [{"copies": 4, "id": 6, "title": "Kafka on the Shore"}]}


def test_price_in_euros_with_a_coupon(client: httpx.Client) -> None:
    response = client.get("/api/books/1/price", params={"currency": "EUR", "coupon": "BOOKWORM10"})
    assert response.status_code == 200
    assert response.json() == {
        "book_id": 1,
        "catalogue_price_usd": "14.99",
        "currency": "EUR",
        "discount": "1.20",
        "isbn": "9780553803716",
        "list_price": "11.95",
        "price": "10.75",
    }


def test_price_without_a_coupon_defaults_to_dollars(client: httpx.Client) -> None:
    response = client.get("/api/books/6/price")
    assert response.status_code == 200
    assert response.json() == {
        "book_id": 6,
        "catalogue_price_usd": "12.80",
        "currency": "USD",
        "discount": "0.00",
        "isbn": "9781400079810",
        "list_price": "20.99",
        "price": "20.99",
    }


def test_price_with_an_unknown_coupon(client: httpx.Client) -> None:
    response = client.get("/api/books/1/price", params={"coupon": "FREEBOOKS"})
    assert response.status_code == 422
    assert response.json() == {
        "error": "unprocessable_entity",
        "message": "unknown coupon 'FREEBOOKS'",
    }


def test_price_in_an_unsupported_currency(client: httpx.Client) -> None:
    response = client.get("/api/books/1/price", params={"currency": "XYZ"})
    assert response.status_code == 422
    assert response.json() == {
        "error": "unprocessable_entity",
        "message": "unsupported currency 'XYZ'",
    }


def test_price_of_a_missing_book(client: httpx.Client) -> None:
    response = client.get("/api/books/99/price")
    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "message": "book 99 not found"}


def test_price_when_the_pricing_service_times_out(client: httpx.Client) -> None:
    # The upstream delays requests whose id starts with slow<ms>-; the app waits 0.5 s.
    response = client.get(
        "/api/books/1/price", headers={"X-Request-Id": f"slow2000-{uuid.uuid4()}"}
    )
    assert response.status_code == 504
    assert response.json() == {
        "error": "upstream_timeout",
        "message": "an upstream service timed out",
    }


def test_price_when_the_pricing_service_fails(client: httpx.Client) -> None:
    # The pricing client does not retry: one 503 from upstream is a 502 here.
    response = client.get("/api/books/1/price", headers={"X-Request-Id": f"flaky1-{uuid.uuid4()}"})
    assert response.status_code == 502
    assert response.json() == {
        "error": "upstream_error",
        "message": "an upstream service failed",
        "upstream_status": 503,
    }


def test_availability(client: httpx.Client) -> None:
    response = client.get("/api/books/1/availability")
    assert response.status_code == 200
    assert response.json() == {
        "book_id": 1,
        "can_order": True,
        "shop_stock": 12,
        "warehouse": "DUB-1",
        "warehouse_stock": 39,
    }


def test_availability_of_a_book_out_of_stock_in_the_shop(client: httpx.Client) -> None:
    response = client.get("/api/books/4/availability")
    assert response.json() == {
        "book_id": 4,
        "can_order": True,
        "shop_stock": 0,
        "warehouse": "AMS-1",
        "warehouse_stock": 20,
    }


def test_availability_of_a_missing_book(client: httpx.Client) -> None:
    response = client.get("/api/books/99/availability")
    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "message": "book 99 not found"}


def test_excerpt(client: httpx.Client) -> None:
    response = client.get("/api/books/3/excerpt")
    assert response.status_code == 200
    assert response.json() == {
        "book_id": 3,
        "excerpt": "En el pueblo, la lluvia duró cuatro años y once semanas.\n"
        "Nadie recordaba ya de qué color era el cielo.\n",
        "title": "Cien años de soledad",
    }


def test_excerpt_missing_for_this_book(client: httpx.Client) -> None:
    response = client.get("/api/books/2/excerpt")
    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "message": "no excerpt for book 2"}
