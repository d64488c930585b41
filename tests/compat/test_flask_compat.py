"""asyncify.compat's Flask helpers against Flask itself: the same bytes for the same value."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import date, datetime
from decimal import Decimal

import flask
import pytest
from starlette.exceptions import HTTPException

from asyncify import compat

VALUES = [
    {"b": 1, "a": "é", "when": datetime(2024, 1, 2, 3, 4, 5), "day": date(2024, 1, 2)},
    [Decimal("1.50"), uuid.UUID(int=7), None, True, 1.5],
    "text",
]


@pytest.fixture(scope="module")
def flask_app():
    return flask.Flask("t")


@pytest.mark.parametrize("value", VALUES)
def test_json_bytes_equal_flask(flask_app, value):
    with flask_app.app_context():
        expected = flask.jsonify(value)
    response = compat.FlaskJSONResponse(value)
    assert response.body == expected.get_data()
    assert response.headers["content-type"] == expected.headers["Content-Type"]


def test_dataclass_and_jsonify_keywords(flask_app):
    @dataclasses.dataclass
    class Point:
        x: int
        y: int

    with flask_app.app_context():
        expected = flask.jsonify(p=Point(1, 2), z=1)
    assert compat.jsonify(p=Point(1, 2), z=1).body == expected.get_data()
    with pytest.raises(TypeError):
        compat.jsonify(1, a=2)


def test_abort_carries_description_and_renders_flask_page(flask_app):
    @flask_app.get("/b")
    def view():
        flask.abort(404, description="book 9 not found")

    expected = flask_app.test_client().get("/b")
    with pytest.raises(HTTPException) as caught:
        compat.abort(404, description="book 9 not found")
    page = compat.error_page(caught.value)
    assert (page.status_code, page.body) == (404, expected.get_data())
    assert page.headers["content-type"] == expected.headers["Content-Type"]
    assert compat.as_werkzeug(caught.value).name == "Not Found"


def test_redirect_matches_flask(flask_app):
    with flask_app.test_request_context():
        expected = flask.redirect("/new?a=1")
    got = compat.redirect("/new?a=1")
    assert (got.status_code, got.headers["location"], got.body) == (
        302, "/new?a=1", expected.get_data())


@pytest.mark.parametrize(("rv", "status", "ctype"), [
    (({"a": 1}, 201), 201, "application/json"),
    (("hi", {"X-A": "1"}), 200, "text/html; charset=utf-8"),
    ((["x"], 202, [("X-A", "1")]), 202, "application/json"),
])
def test_flask_response_tuples(rv, status, ctype):
    response = compat.flask_response(rv)
    assert response.status_code == status
    assert response.headers["content-type"] == ctype


def test_flask_response_rejects_none_like_flask():
    with pytest.raises(TypeError):
        compat.flask_response(None)


def test_lenient_falls_back_to_the_default():
    validator = compat.lenient(int, 1)
    assert validator.func("7") == 7  # type: ignore[call-arg]
    assert validator.func("two") == 1  # type: ignore[call-arg]


def test_current_config_needs_the_legacy_app(flask_app):
    compat.set_flask_app(flask_app)
    flask_app.config["X"] = 1
    assert compat.current_config()["X"] == 1


def test_public_names_are_sorted():
    assert compat.__all__ == sorted(compat.__all__)
