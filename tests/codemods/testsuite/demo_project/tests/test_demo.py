from unittest import mock

import requests
import requests_mock as requests_mock_module
import responses
from httmock import HTTMock, urlmatch


@urlmatch(netloc=r"up\.test", path=r"^/rates/XXX$")
def unknown_rate(url, request):
    return {"status_code": 404, "content": {"error": "nope"}}


@responses.activate
def test_rate(client):
    responses.add(responses.GET, "http://up.test/rates/GBP", json={"rate": 0.8}, status=200)
    r = client.get("/rate", query_string={"currency": "GBP"})
    assert r.status_code == 200
    assert r.get_json() == {"currency": "GBP", "rate": 0.8}
    assert len(responses.calls) == 1


def test_rate_upstream_down(client):
    with responses.RequestsMock() as rsps:
        rsps.get("http://up.test/rates/EUR", body=requests.exceptions.ConnectionError())
        try:
            client.get("/rate")
        except Exception as exc:  # the app does not handle it: TESTING propagates it
            assert "Connect" in type(exc).__name__
        else:
            raise AssertionError("the upstream error did not propagate")


def test_unknown_rate(client):
    with HTTMock(unknown_rate):
        r = client.get("/rate?currency=XXX")
    assert r.status_code == 404
    assert r.json == {"error": "unknown currency"}


def test_order_form(client, requests_mock):
    requests_mock.post("http://up.test/orders", json={"id": 7}, status_code=201)
    r = client.post("/orders", data={"sku": "A-1"})
    assert r.status_code == 201
    assert r.get_json() == {"id": 7}
    assert requests_mock.call_count == 1


def test_order_with_mocker(client):
    with requests_mock_module.Mocker() as m:
        m.post("http://up.test/orders", json={"id": 8}, status_code=202)
        r = client.post("/orders", data={"sku": "B-2"})
        assert m.called
    assert r.status_code == 202


def test_echo_json_and_headers(client):
    r = client.post("/echo", json={"a": [1, 2]}, headers={"X-Agent": "t"})
    assert r.get_json() == {"got": {"a": [1, 2]}, "agent": "t"}
    raw = client.post("/echo", data='{"b": 1}', content_type="application/json")
    assert raw.get_json()["got"] == {"b": 1}


def test_redirect_is_not_followed(client):
    r = client.get("/old")
    assert r.status_code == 302
    assert r.location == "/rate"


def test_text(client):
    r = client.get("/text")
    assert r.data == b"hello"
    assert r.get_data(as_text=True) == "hello"
    assert r.mimetype == "text/plain"
    assert r.get_json() is None


@mock.patch("demo.app.requests.get")
def test_rate_with_a_patched_requests(get, client):
    get.return_value.status_code = 200
    get.return_value.json.return_value = {"rate": 2.0}
    r = client.get("/rate?currency=CHF")
    assert r.get_json() == {"currency": "CHF", "rate": 2.0}
    get.assert_called_once()
