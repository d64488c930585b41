"""The adopted client's URL fast path (``_prepared_url``) against requests' own
``PreparedRequest.prepare_url``, on generated URLs and parameters: the same string, or no
fast path (None) and requests does the work."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from requests.models import PreparedRequest

from asyncify.compat._adopt import _prepared_base, _prepared_url

# Characters URLs in real code carry, the awkward ones included.
URL_TEXT = st.lists(st.sampled_from(
    [*"abcXYZ019-._~/?&=+:;@!$'()*,[] %#é\u00fc\t", "..", "//", "%2F", "%zz", "%7e"]),
    max_size=16).map("".join)
HOSTS = st.sampled_from(["127.0.0.1:8801", "Example.COM", "example.com:80", "[::1]:9000",
                         "user:pw@host", "bücher.de", "h"])
SCHEMES = st.sampled_from(["http://", "https://", "HTTP://", " http://", "mailto:", "ftp://",
                           "", "http:/"])
VALUES = st.one_of(st.none(), st.booleans(), st.integers(-5, 10**6),
                   st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=8),
                   st.binary(max_size=4), st.lists(st.text(max_size=3), max_size=2))
PARAMS = st.one_of(st.none(), st.dictionaries(st.one_of(st.text(max_size=6), st.binary(max_size=3)),
                                              VALUES, max_size=4),
                   st.lists(st.tuples(st.text(max_size=4), st.text(max_size=4)), max_size=3))


def requests_url(url: str, params: Any) -> str | None:
    prepared = PreparedRequest()
    prepared.prepare_url(url, params)
    return prepared.url


@settings(max_examples=3000, deadline=None)
@given(SCHEMES, HOSTS, URL_TEXT, PARAMS)
def test_fast_path_is_requests(scheme: str, host: str, rest: str, params: Any) -> None:
    url = scheme + host + rest
    try:
        expected = requests_url(url, params)
    except Exception as error:  # requests refuses it: the fast path must not answer
        assert _prepared_url(url, params) is None, error
        return
    fast = _prepared_url(url, params)
    if fast is not None:
        assert fast == expected


@pytest.mark.parametrize(("url", "params", "expected"), [
    ("http://127.0.0.1:8801/shipping/quote", {"api_key": "k", "country": "DE", "weight_g": 800},
     "http://127.0.0.1:8801/shipping/quote?api_key=k&country=DE&weight_g=800"),
    ("http://h/a?x=1", {"y": "é ü", "n": None, "b": True},
     "http://h/a?x=1&y=%C3%A9+%C3%BC&b=True"),
    ("http://h/a/../b/./c", {}, "http://h/b/c"),
    ("HTTP://Example.COM", None, "http://example.com/"),
])
def test_common_urls_take_the_fast_path(url: str, params: Any, expected: str) -> None:
    assert requests_url(url, params) == expected
    assert _prepared_url(url, params) == expected


@pytest.mark.parametrize(("url", "params"), [
    ("http://h/a%20b", {"x": "1"}),           # percent escapes: requests requotes
    ("http://h/a#frag", {"x": "1"}),          # the query goes before the fragment
    ("mailto:someone@example.com", None),     # not prepared at all
    ("http://h/a", {"x": ["1", "2"]}),        # several values
    ("http://h/a", [("x", "1")]),             # pairs
])
def test_other_urls_leave_it_to_requests(url: str, params: Any) -> None:
    assert _prepared_url(url, params) is None


def test_base_is_prepared_once() -> None:
    _prepared_base.cache_clear()
    for weight in range(50):
        _prepared_url("http://127.0.0.1:8801/shipping/quote", {"weight_g": weight})
    info = _prepared_base.cache_info()
    assert (info.misses, info.hits) == (1, 49)
