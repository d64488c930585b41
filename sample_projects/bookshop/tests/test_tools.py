"""/api/tools: pure computations, one of them CPU-heavy."""

from __future__ import annotations

import httpx
import pytest


@pytest.mark.parametrize(
    ("isbn", "expected"),
    [
        ("978-0-553-80371-6", {"isbn10": "0553803719", "isbn13": "9780553803716"}),
        ("0-553-80371-9", {"isbn10": "0553803719", "isbn13": "9780553803716"}),
        ("080442957X", {"isbn10": "080442957X", "isbn13": "9780804429573"}),
        ("979 10 90636 07 1", {"isbn10": None, "isbn13": "9791090636071"}),
    ],
)
def test_valid_isbn(client: httpx.Client, isbn: str, expected: dict[str, str | None]) -> None:
    response = client.get("/api/tools/isbn", params={"isbn": isbn})
    assert response.status_code == 200
    assert response.json() == {"input": isbn, "valid": True, **expected}


@pytest.mark.parametrize(
    ("isbn", "reason"),
    [
        ("9780553803717", "bad check digit"),
        ("0553803718", "bad check digit"),
        ("12345", "an ISBN has 10 or 13 digits"),
        ("978055380371X", "an ISBN has 10 or 13 digits"),
    ],
)
def test_invalid_isbn(client: httpx.Client, isbn: str, reason: str) -> None:
    response = client.get("/api/tools/isbn", params={"isbn": isbn})
    assert response.status_code == 422
    assert response.json() == {"input": isbn, "reason": reason, "valid": False}


def test_isbn_is_required(client: httpx.Client) -> None:
    response = client.get("/api/tools/isbn")
    assert response.status_code == 400
    assert response.json() == {
        "error": "bad_request",
        "message": "the isbn query parameter is required",
    }


def test_price_simulation(client: httpx.Client) -> None:
    response = client.get(
        "/api/tools/price-simulation", params={"price": "12.99", "runs": 2000, "seed": 7}
    )
    assert response.status_code == 200
    assert response.json() == {
        "mean": "9399.96",
        "p05": "8482.47",
        "p95": "10301.07",
        "price": "12.99",
        "runs": 2000,
        "seed": 7,
    }


def test_price_simulation_defaults(client: httpx.Client) -> None:
    default = client.get("/api/tools/price-simulation").json()
    explicit = client.get(
        "/api/tools/price-simulation", params={"price": 12, "runs": 2000, "seed": 0}
    ).json()
    assert default == explicit
    assert (default["price"], default["runs"], default["seed"]) == ("12.00", 2000, 0)


@pytest.mark.parametrize("params", [{"runs": 0}, {"runs": 200_001}, {"price": -1}])
def test_price_simulation_bounds(client: httpx.Client, params: dict[str, int]) -> None:
    response = client.get("/api/tools/price-simulation", params=params)
    assert response.status_code == 400
    assert response.json() == {
        "error": "bad_request",
        "message": "price must be in (0, 1000] and runs in [1, 200000]",
    }
