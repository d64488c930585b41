"""/admin: token-protected back office (DB, pricing service, a subprocess)."""

from __future__ import annotations

import platform
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest


@pytest.mark.parametrize("path", ["/admin/stats", "/admin/diagnostics"])
@pytest.mark.parametrize("token", [None, "", "not-the-token"])
def test_admin_needs_the_token(client: httpx.Client, path: str, token: str | None) -> None:
    headers = {} if token is None else {"X-Api-Token": token}
    response = client.get(path, headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Token realm="bookshop"'
    assert response.json() == {
        "error": "unauthorized",
        "message": "missing or invalid X-Api-Token",
    }


def test_admin_form_post_needs_the_token(client: httpx.Client, query: Callable[..., Any]) -> None:
    response = client.post("/admin/authors", data={"name": "Anonymous"})
    assert response.status_code == 401
    assert query("SELECT count(*) FROM authors") == [(5,)]


def test_stats(client: httpx.Client, auth: dict[str, str]) -> None:
    response = client.get("/admin/stats", headers=auth)
    assert response.status_code == 200
    assert response.json() == {
        "authors": 5,
        "books": 8,
        "orders": {"cancelled": 0, "placed": 2, "shipped": 1},
        "stock_units": 42,
        "stock_value": "671.88",
    }


def test_create_author_from_a_form_redirects_to_their_books(
    client: httpx.Client, auth: dict[str, str], query: Callable[..., Any]
) -> None:
    form = {"name": " Octavia E. Butler ", "email": "octavia@authors.example", "country": "us"}
    response = client.post("/admin/authors", data=form, headers=auth)
    assert response.status_code == 302
    assert response.headers["location"] == "/api/books/?author_id=6"
    assert query("SELECT name, email, country FROM authors WHERE id = 6") == [
        ("Octavia E. Butler", "octavia@authors.example", "US")
    ]
    books = client.get(response.headers["location"])
    assert books.json() == {"items": [], "page": 1, "per_page": 5, "total": 0}


def test_create_author_without_email_or_country(
    client: httpx.Client, auth: dict[str, str], query: Callable[..., Any]
) -> None:
    response = client.post("/admin/authors", data={"name": "Anonymous"}, headers=auth)
    assert response.status_code == 302
    assert query("SELECT name, email, country FROM authors WHERE id = 6") == [
        ("Anonymous", None, None)
    ]


def test_create_author_with_a_taken_email(
    client: httpx.Client, auth: dict[str, str], query: Callable[..., Any]
) -> None:
    form = {"name": "Someone Else", "email": "ursula@authors.example"}
    response = client.post("/admin/authors", data=form, headers=auth)
    assert response.status_code == 409
    assert response.json() == {
        "error": "conflict",
        "message": "an author with email ursula@authors.example exists",
    }
    assert query("SELECT count(*) FROM authors") == [(5,)]


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"name": "  "}, "name is required"),
        ({"email": "x@example.com"}, "name is required"),
        ({"name": "Someone", "country": "USA"}, "country must be a two-letter code"),
    ],
)
def test_create_author_with_bad_fields(
    client: httpx.Client, auth: dict[str, str], form: dict[str, str], message: str
) -> None:
    response = client.post("/admin/authors", data=form, headers=auth)
    assert response.status_code == 400
    assert response.json() == {"error": "bad_request", "message": message}


def test_reprice_sets_list_prices_from_the_pricing_service(
    client: httpx.Client, auth: dict[str, str]
) -> None:
    response = client.post("/admin/reprice", headers=auth)
    assert response.status_code == 200
    assert response.json() == {
        "changes": [
            {"id": 1, "new": "12.99", "old": "14.99"},
            {"id": 2, "new": "42.99", "old": "15.50"},
            {"id": 3, "new": "37.99", "old": "18.00"},
            {"id": 4, "new": "37.99", "old": "13.25"},
            {"id": 5, "new": "7.99", "old": "16.40"},
            {"id": 6, "new": "20.99", "old": "12.80"},
            {"id": 7, "new": "29.99", "old": "11.95"},
            {"id": 8, "new": "13.99", "old": "21.00"},
        ],
        "checked": 8,
        "updated": 8,
    }
    assert client.get("/api/books/1").json()["list_price"] == "12.99"
    again = client.post("/admin/reprice", headers=auth)
    assert again.json() == {"changes": [], "checked": 8, "updated": 0}


def test_reprice_changes_nothing_when_the_pricing_service_fails(
    client: httpx.Client, auth: dict[str, str], query: Callable[..., Any]
) -> None:
    # Only the first pricing call of this request fails.
    headers = {**auth, "X-Request-Id": f"flaky1-{uuid.uuid4()}"}
    response = client.post("/admin/reprice", headers=headers)
    assert response.status_code == 502
    assert response.json()["upstream_status"] == 503
    assert query("SELECT list_price::text FROM books WHERE id = 1") == [("14.99",)]


def test_diagnostics(client: httpx.Client, auth: dict[str, str]) -> None:
    response = client.get("/admin/diagnostics", headers=auth)
    assert response.status_code == 200
    assert response.json() == {
        "database": {"reachable": True, "timezone": "UTC"},
        "python": platform.python_version(),
    }
