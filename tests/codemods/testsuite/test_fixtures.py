"""Golden cases for the test-suite recipe (ASY7xx) beyond each rule's own examples (which
tests/codemods/test_rule_examples.py runs): the whole recipe at once, per mocking library.
No-op cases say why; rewritten ones are compared exactly, must parse, and a second run must
change nothing."""

from __future__ import annotations

import ast

import pytest

from asyncify.codemods import select, transform

RULES = select("flask-tests-to-httpx")

NOOPS = [
    pytest.param(
        "def add(a, b):\n    return a + b\n\ndef test_add():\n    assert add(1, 2) == 3\n",
        id="never-touches-client-or-requests",
    ),
    pytest.param(
        "def test_cache():\n    client = {'a': b'1'}\n    r = client.get('a')\n"
        "    assert r.data is None or r\n",
        id="local-named-client-is-not-a-fixture",
    ),
    pytest.param(
        "import httpx\n\ndef test_live(client: httpx.Client):\n"
        "    r = client.get('/x', params={'q': 1})\n    assert r.json() == {}\n",
        id="httpx-suite-already",
    ),
    pytest.param(
        "from asyncify.compat import asgi_client, combined_app, json_or_none\n\n"
        "def test_x(app):\n    client = asgi_client(combined_app(app))\n"
        "    assert json_or_none(client.get('/')) == {}\n",
        id="already-migrated",
    ),
    pytest.param(
        "import responses\n\ndef test_status():\n    assert responses.OK\n",
        id="responses-imported-but-no-mock",
    ),
    pytest.param(
        "from unittest import mock\n\n@mock.patch('shop.views.cache.get')\n"
        "def test_cached(get):\n    get.return_value = 1\n",
        id="patch-of-something-else-than-requests",
    ),
    pytest.param(
        "from unittest.mock import patch\n\ndef test_cached(client):\n"
        "    with patch('shop.views.cache.get') as get:\n        get.return_value = 1\n"
        "        assert client.get('/').status_code == 200\n",
        id="with-patch-of-something-else-than-requests",
    ),
]

REWRITES = [
    pytest.param(
        "import re\nimport responses\n\n@responses.activate\ndef test_any():\n"
        "    responses.add(method=responses.PUT, url=re.compile(r'http://x/items/\\d+'), "
        "status=204)\n    responses.add(responses.GET, 'http://x/a', json=[1], "
        "headers={'ETag': 'v1'})\n",
        "import re\nimport responses\nfrom asyncify.compat import http_mock\n\n@http_mock\n"
        "def test_any():\n"
        "    http_mock.put(url__regex=r'http://x/items/\\d+').respond(status_code=204)\n"
        "    http_mock.get('http://x/a').respond(json=[1], headers={'ETag': 'v1'})\n",
        [],
        id="responses-regex-and-keywords",
    ),
    pytest.param(
        "import responses\n\n@responses.activate\ndef test_match():\n"
        "    responses.get('http://x/a', match=[q], json={})\n"
        "    assert responses.calls[0].request.url\n",
        "import responses\nfrom asyncify.compat import http_mock\n\n@http_mock\n"
        "def test_match():\n"
        "    # TODO[asyncify ASY703]: responses match= (matchers, streaming, callbacks) has no "
        "direct respx translation — https://asyncify.readthedocs.io/en/latest/rules/#asy703\n"
        "    responses.get('http://x/a', match=[q], json={})\n"
        "    # TODO[asyncify ASY703]: responses.calls holds requests' objects; respx's "
        "http_mock.calls holds httpx.Request/Response (request.content, not .body) — "
        "https://asyncify.readthedocs.io/en/latest/rules/#asy703\n"
        "    assert responses.calls[0].request.url\n",
        ["ASY703", "ASY703"],
        id="responses-matchers-and-calls-todo",
    ),
    pytest.param(
        "import unittest\nimport requests_mock\n\nclass T(unittest.TestCase):\n"
        "    @requests_mock.Mocker()\n    def test_a(self, m):\n"
        "        m.get('http://x/a', status_code=500, text='no')\n"
        "        assert m.call_count == 0\n",
        "import unittest\nimport requests_mock\nfrom asyncify.compat import http_mock\n\n"
        "class T(unittest.TestCase):\n    @http_mock\n    def test_a(self):\n"
        "        http_mock.get('http://x/a').respond(status_code=500, text='no')\n"
        "        assert http_mock.calls.call_count == 0\n",
        [],
        id="requests-mock-decorator",
    ),
    pytest.param(
        "import requests_mock\n\ndef test_any(requests_mock):\n"
        "    requests_mock.register_uri(requests_mock.ANY, requests_mock.ANY, json={})\n"
        "    requests_mock.get('http://x/seq', [{'json': 1}, {'json': 2}])\n",
        "import requests_mock\nfrom asyncify.compat import http_mock\n\n@http_mock\n"
        "def test_any():\n    http_mock.route().respond(json={})\n"
        "    # TODO[asyncify ASY704]: a list of responses (one per call): use respx "
        "side_effect=[httpx.Response(...), ...] — "
        "https://asyncify.readthedocs.io/en/latest/rules/#asy704\n"
        "    http_mock.get('http://x/seq', [{'json': 1}, {'json': 2}])\n",
        ["ASY704"],
        id="requests-mock-any-and-sequence",
    ),
    pytest.param(
        "import requests\nfrom unittest.mock import patch\n\n"
        "def test_a():\n    with patch.object(requests, 'get') as get:\n        pass\n"
        "    with patch('requests.Session.post'):\n        pass\n",
        "import requests\nfrom unittest.mock import patch\n"
        "from asyncify.compat import http_mock\n\n"
        "def test_a():\n    with http_mock:\n        get = http_mock.get()\n        pass\n"
        "    # TODO[asyncify ASY706]: mock.patch of requests.post: migrated code calls httpx, "
        "so this mock stops applying (the mock is not bound by `as name`); mock the URL "
        "instead: http_mock.post(url).respond(status_code=..., json=...) — "
        "https://asyncify.readthedocs.io/en/latest/rules/#asy706\n"
        "    with patch('requests.Session.post'):\n        pass\n",
        ["ASY706"],
        id="mock-patch-object-and-session",
    ),
    pytest.param(
        "from unittest.mock import patch\n\nclass TestGetRequests(TestBase):\n"
        "    def test_get_requests(self):\n"
        "        with patch('requests.get') as test:\n"
        "            test.return_value.text = \"test\"\n"
        "            response = self.client.get(url_for('get_requests'))\n"
        "            self.assertIn(b'test', response.data)\n",
        "from unittest.mock import patch\nimport httpx\n"
        "from asyncify.compat import http_mock\n\nclass TestGetRequests(TestBase):\n"
        "    def test_get_requests(self):\n"
        "        with http_mock:\n"
        "            test = http_mock.get()\n"
        "            test.return_value = httpx.Response(200, text=\"test\")\n"
        "            response = self.client.get(url_for('get_requests'))\n"
        "            self.assertIn(b'test', response.data)\n",
        [],
        id="with-patch-translated",
    ),
    pytest.param(
        "import requests\nfrom unittest import mock\n\ndef test_x(client):\n"
        "    with mock.patch('shop.views.requests.post') as post, "
        "mock.patch.object(requests, 'get') as get:\n"
        "        post.return_value.status_code = 201\n"
        "        get.side_effect = requests.ConnectionError\n"
        "        client.post('/o')\n        post.assert_called_once()\n"
        "        get.assert_not_called()\n"
        "    with mock.patch('requests.get') as get:\n"
        "        client.get('/p')\n        assert get.call_count == 1\n",
        "import requests\nfrom unittest import mock\nimport httpx\n"
        "from asyncify.compat import http_mock\n\ndef test_x(client):\n"
        "    with http_mock:\n        post = http_mock.post()\n"
        "        post.return_value = httpx.Response(201)\n"
        "        get = http_mock.get()\n        get.side_effect = httpx.ConnectError\n"
        "        client.post('/o')\n        assert post.call_count == 1\n"
        "        assert not get.called\n"
        "    with http_mock:\n        get = http_mock.get()\n"
        "        client.get('/p')\n        assert get.call_count == 1\n",
        [],
        id="with-several-patches-and-blocks-translated",
    ),
    pytest.param(
        "from unittest.mock import patch\n\ndef test_x(client):\n"
        "    with patch('requests.get') as get:\n"
        "        get.return_value.status_code = 500\n        client.get('/p')\n"
        "    get.assert_called_once()\n",
        "from unittest.mock import patch\n\ndef test_x(client):\n"
        "    # TODO[asyncify ASY706]: mock.patch of requests.get: migrated code calls httpx, "
        "so this mock stops applying (the mock is used outside the with block, where its "
        "route is gone); mock the URL instead: http_mock.get(url).respond(status_code=..., "
        "json=...) — https://asyncify.readthedocs.io/en/latest/rules/#asy706\n"
        "    with patch('requests.get') as get:\n"
        "        get.return_value.status_code = 500\n        client.get('/p')\n"
        "    get.assert_called_once()\n",
        ["ASY706"],
        id="with-patch-mock-used-after-block-todo",
    ),
    pytest.param(
        "import responses\nfrom unittest.mock import patch\n\n@responses.activate\n"
        "def test_x(client):\n    with patch('requests.get') as get:\n"
        "        get.return_value.status_code = 500\n        client.get('/p')\n",
        "import responses\nfrom unittest.mock import patch\n"
        "from asyncify.compat import http_mock\n\n@http_mock\n"
        "def test_x(client):\n"
        "    # TODO[asyncify ASY706]: mock.patch of requests.get: migrated code calls httpx, "
        "so this mock stops applying (the with statement is inside another mocking "
        "decorator, fixture or with statement, where a nested respx router would neither "
        "shadow its routes nor keep its counts); mock the URL instead: "
        "http_mock.get(url).respond(status_code=..., json=...) — "
        "https://asyncify.readthedocs.io/en/latest/rules/#asy706\n"
        "    with patch('requests.get') as get:\n"
        "        get.return_value.status_code = 500\n        client.get('/p')\n",
        ["ASY706"],
        id="with-patch-inside-another-mock-todo",
    ),
    pytest.param(
        "from unittest.mock import patch\n\ndef test_x(client):\n"
        "    with patch('requests.get') as get:\n        client.get('/p')\n"
        "        get.return_value.status_code = 500\n        client.get('/p')\n",
        "from unittest.mock import patch\n\ndef test_x(client):\n"
        "    # TODO[asyncify ASY706]: mock.patch of requests.get: migrated code calls httpx, "
        "so this mock stops applying (the mock is configured after something is called in "
        "the block, or not in one run of statements); mock the URL instead: "
        "http_mock.get(url).respond(status_code=..., json=...) — "
        "https://asyncify.readthedocs.io/en/latest/rules/#asy706\n"
        "    with patch('requests.get') as get:\n        client.get('/p')\n"
        "        get.return_value.status_code = 500\n        client.get('/p')\n",
        ["ASY706"],
        id="with-patch-configured-after-a-call-todo",
    ),
    pytest.param(
        "import pytest\nimport requests\nfrom unittest.mock import patch\n\n"
        "@pytest.mark.slow\n@patch('requests.Session.get')\ndef test_down(get, client):\n"
        "    get.side_effect = requests.exceptions.ReadTimeout()\n"
        "    assert client.get('/p').status_code == 504\n    get.assert_called()\n",
        "import pytest\nimport requests\nfrom unittest.mock import patch\nimport httpx\n"
        "from asyncify.compat import http_mock\n\n"
        "@pytest.mark.slow\n@http_mock\ndef test_down(client):\n"
        "    get = http_mock.get()\n    get.side_effect = httpx.ReadTimeout\n"
        "    assert client.get('/p').status_code == 504\n    assert get.called\n",
        [],
        id="mock-patch-side-effect-translated",
    ),
    pytest.param(
        "from myapp import app\n\ndef test_x():\n    with app.test_client() as c:\n"
        "        r = c.delete('/x/1', follow_redirects=True)\n"
        "        assert r.status_code == 204 and r.is_json is False\n",
        "from myapp import app\nfrom asyncify.compat import asgi_client, combined_app, "
        "is_json\n\ndef test_x():\n    with asgi_client(combined_app(app)) as c:\n"
        "        r = c.delete('/x/1', follow_redirects=True)\n"
        "        assert r.status_code == 204 and is_json(r) is False\n",
        [],
        id="client-context-manager-module-app",
    ),
]


def run(source: str):
    return transform("test_example.py", source.encode(), RULES)


@pytest.mark.parametrize("source", NOOPS)
def test_left_byte_identical(source: str) -> None:
    outcome = run(source)
    assert outcome.status == "unchanged", outcome.new


@pytest.mark.parametrize(("before", "after", "todos"), REWRITES)
def test_rewritten(before: str, after: str, todos: list[str]) -> None:
    outcome = run(before)
    assert outcome.status == "changed", outcome.reason
    assert outcome.new is not None
    assert outcome.new.decode() == after
    assert [t.rule for t in outcome.todos] == todos
    ast.parse(outcome.new)
    again = run(outcome.new.decode())
    assert again.status == "unchanged", again.new


ASYNC_REWRITES = [
    pytest.param(
        "from myapp import app\n\ndef test_x():\n    with app.test_client() as c:\n"
        "        assert c.get('/').data == b''\n",
        "from myapp import app\nimport httpx\nimport pytest\n"
        "from asyncify.compat import combined_app\n\n@pytest.mark.anyio\nasync def test_x():\n"
        "    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=combined_app(app)), "
        "base_url=\"http://localhost\") as c:\n"
        "        assert (await c.get('/')).content == b''\n",
        [],
        id="async-with-client",
    ),
    pytest.param(
        "def login(client):\n    return client.post('/login', data={'u': 'a'})\n\n"
        "def test_x(client):\n    assert client.get('/').status_code == 200\n",
        "import pytest\n# TODO[asyncify ASY708]: login now awaits the async client, so it is async def: await "
        "it where it is called — https://asyncify.readthedocs.io/en/latest/rules/#asy708\n"
        "async def login(client):\n    return await client.post('/login', data={'u': 'a'})\n\n"
        "@pytest.mark.anyio\nasync def test_x(client):\n"
        "    assert (await client.get('/')).status_code == 200\n",
        ["ASY708"],
        id="async-helper-gets-todo",
    ),
]


@pytest.mark.parametrize(("before", "after", "todos"), ASYNC_REWRITES)
def test_rewritten_async(before: str, after: str, todos: list[str]) -> None:
    rules = select("flask-tests-to-httpx-async")
    outcome = transform("test_example.py", before.encode(), rules)
    assert outcome.status == "changed", outcome.reason
    assert outcome.new is not None
    assert outcome.new.decode() == after
    assert [t.rule for t in outcome.todos] == todos
    ast.parse(outcome.new)
    again = transform("test_example.py", outcome.new, rules)
    assert again.status == "unchanged", again.new
