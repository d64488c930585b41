"""/api/currency/convert with the currency service mocked by httmock handlers."""

from __future__ import annotations

from httmock import HTTMock, all_requests, urlmatch, with_httmock


@urlmatch(netloc=r"upstream\.test", path=r"^/currency/convert$")
def currency(url, request):
    query = dict(part.split("=") for part in url.query.split("&"))
    if query.get("amount") == "oops":
        return {"status_code": 422, "content": {"error": "amount must be a number"}}
    rate = 0.5
    return {"status_code": 200, "content": {
        "amount": query["amount"], "from": query["from"], "to": query["to"],
        "rate": rate, "result": float(query["amount"]) * rate,
    }}


@all_requests
def broken(url, request):
    return {"status_code": 500, "content": "boom"}


def test_convert(client):
    with HTTMock(currency):
        response = client.get("/api/currency/convert",
                              query_string={"amount": "10", "from": "USD", "to": "GBP"})
    assert response.status_code == 200
    assert response.get_json() == {"amount": "10", "source": "USD", "target": "GBP",
                                   "rate": 0.5, "converted": 5.0}


@with_httmock(currency)
def test_invalid_amount_is_passed_through(client):
    response = client.get("/api/currency/convert?amount=oops")
    assert response.status_code == 422
    assert response.get_json() == {"error": "invalid_request", "message": "amount must be a number"}


def test_upstream_failure_is_502(client):
    with HTTMock(broken):
        response = client.get("/api/currency/convert", query_string={"amount": "1"})
    assert response.status_code == 502
    assert response.get_json()["error"] == "bad_gateway"


def test_health_needs_no_upstream(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"service": "gateway", "status": "ok"}
