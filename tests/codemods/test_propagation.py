"""Await propagation across a project (`apply --recipe … --propagate --write`): functions whose
blocking calls are all converted become async in every module, their call sites are awaited,
a function that still blocks stays sync, and a sync caller goes through the bridge. The
rewritten package is then imported and run under asyncio against a real HTTP server."""

from __future__ import annotations

import asyncio
import importlib
import sys
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from asyncify.cli import app

HERE = Path(__file__).resolve().parent
runner = CliRunner()

FILES = {
    "shop/__init__.py": "",
    "shop/clients.py": """
        import requests


        def fetch_rate(base, currency):
            response = requests.get(base + "/echo", params={"c": currency, "skip": None}, timeout=5)
            response.raise_for_status()
            return response.json()["query"]


        def fetch_target(base):
            return requests.get(base + "/redirect", timeout=5).text
    """,
    "shop/service.py": """
        import smtplib
        import time

        from .clients import fetch_rate, fetch_target


        def quote(base, currencies):
            rates = []
            for currency in currencies:
                time.sleep(0.01)
                rates.append(fetch_rate(base, currency))
            return rates, fetch_target(base)


        def notify(base, to):
            quote(base, ["EUR"])
            smtplib.SMTP("localhost").sendmail("shop", [to], "quoted")


        def summary(base):
            return len(fetch_target(base))
    """,
}




@pytest.fixture
def converted(tmp_path: Path):
    root = tmp_path / "proj"
    for rel, text in FILES.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))
    result = runner.invoke(app, ["apply", "--recipe", "requests-to-httpx", "--only",
                                 "ASY201,ASY202,ASY203", "--propagate", "--root", str(root),
                                 str(root / "shop"), "--write"])
    stdlib = runner.invoke(app, ["apply", "--recipe", "stdlib-blocking", "--root", str(root),
                                 str(root / "shop"), "--write"])
    return root, result, stdlib


def test_the_rewrite_is_what_a_reviewer_expects(converted):
    root, result, _ = converted
    assert result.exit_code == 0, result.output
    service = (root / "shop" / "service.py").read_text()
    clients = (root / "shop" / "clients.py").read_text()
    assert "async def fetch_rate(base, currency):" in clients
    assert "response = await http_client().get(" in clients
    # time.sleep is not converted by this recipe, so quote stays sync on the first run ...
    assert "\ndef quote(base, currencies):" in service
    # ... and calls the converted helpers through the bridge.
    assert "rates.append(run_async(fetch_rate, base, currency))" in service
    # notify still blocks on SMTP: it stays sync, untouched.
    assert "\ndef notify(base, to):\n    quote(base, [\"EUR\"])" in service


def test_propagated_code_runs_like_the_original(converted, base_url, tmp_path):
    root, result, _ = converted
    assert result.exit_code == 0
    sys.path.insert(0, str(root))
    try:
        service = importlib.import_module("shop.service")
        clients = importlib.import_module("shop.clients")

        async def main():
            from asyncify.compat import http_client

            try:
                rate = await clients.fetch_rate(base_url, "EUR")
                target = await clients.fetch_target(base_url)
            finally:
                await http_client().aclose()
            return rate, target

        assert asyncio.run(main()) == ("c=EUR", "landed by GET")
        async def summary():
            from asyncify.compat import http_client

            try:
                return await service.summary(base_url)
            finally:
                await http_client().aclose()

        # summary only reaches converted calls: it became async too.
        assert asyncio.run(summary()) == len("landed by GET")
        # quote stays sync (time.sleep is not in this recipe) and runs the converted helpers
        # on the bridge's loop.
        from asyncify import bridge
        from asyncify.compat import http_client

        assert service.quote(base_url, ["EUR", "USD"]) == (["c=EUR", "c=USD"], "landed by GET")

        async def close():
            await http_client().aclose()

        bridge.run_async(close)
        bridge.shutdown()
    finally:
        sys.path.remove(str(root))
        for name in [m for m in sys.modules if m == "shop" or m.startswith("shop.")]:
            del sys.modules[name]


def test_second_run_changes_nothing(converted):
    root, _, _ = converted
    again = runner.invoke(app, ["apply", "--recipe", "requests-to-httpx", "--propagate",
                                "--root", str(root), str(root / "shop")])
    assert again.exit_code == 0, again.output
    assert again.stdout == ""


SESSIONS_NOT_PORTED = '''import requests
from requests.exceptions import HTTPError

session = requests.Session()


def fetch(path, s: requests.Session = session):
    try:
        r = s.get("http://fx" + path, timeout=5)
        r.raise_for_status()
    except HTTPError:
        return None
    return r.json()


def module_level(path):
    return session.get("http://fx" + path, timeout=5).json()


def view():
    return fetch("/a"), module_level("/b")
'''


def test_calls_on_a_session_the_rules_do_not_port_keep_their_functions_sync(
        tmp_path: Path) -> None:
    """A ``requests.Session`` made at module level, or passed in: ASY205 does not make it
    an AsyncClient, so its calls stay requests'. Their functions (and callers) stayed
    ``async def`` around the blocking call, with ``except HTTPError`` turned into httpx's
    (the real error no longer caught); they keep ``def`` with a marker saying why."""
    (tmp_path / "svc.py").write_text(SESSIONS_NOT_PORTED)
    result = runner.invoke(app, ["apply", "--recipe", "requests-to-httpx", "--propagate",
                                 "--root", str(tmp_path), "--allow-dirty", str(tmp_path)])
    assert "async def" not in result.output and "httpx.HTTPStatusError" not in result.output
    assert result.output.count("ASY204 left blocking code in it: requests.Session.get() on "
                               "a session asyncify does not port here") >= 2


CURSOR_NOT_PORTED = '''import psycopg2

conn = psycopg2.connect("dbname=test")
cursor = conn.cursor()


def rows(x):
    cursor.execute("SELECT %s", (x,))
    return cursor.fetchall()


def passed_in(cur, x):
    cur.execute("SELECT %s", (x,))
    return cur.fetchone()


def titles(x):
    with conn.cursor() as cur:
        cur.execute("SELECT %s", (x,))
        return cur.fetchall()


def view():
    return rows(1), passed_in(cursor, 2), titles(3)
'''


def test_calls_on_a_cursor_the_rules_do_not_convert_keep_their_functions_sync(
        tmp_path: Path) -> None:
    """A psycopg2 cursor made at module level (or passed in): ASY301 converts only the
    cursors its with-blocks open, so ``rows`` stayed ``async def`` around a blocking
    ``cursor.execute``; it keeps ``def`` with a marker, as do its callers, while the
    with-block function is converted as before."""
    (tmp_path / "db.py").write_text(CURSOR_NOT_PORTED)
    result = runner.invoke(app, ["apply", "--recipe", "psycopg2-to-asyncpg", "--propagate",
                                 "--root", str(tmp_path), "--allow-dirty", str(tmp_path)])
    out = result.output
    assert "+async def rows" not in out and "+async def view" not in out, out
    assert "cursor.execute() on a cursor not opened in a with-block here" in out
    assert "+async def titles(x):" in out  # the with-block cursor is still converted


def test_a_recipe_over_the_project_leaves_the_twin_package_alone(tmp_path: Path) -> None:
    """``apply --recipe … --propagate .`` after ``apply ENDPOINT``: the twin package (the
    directory holding apply's manifest) is apply's to regenerate; rewriting it awaited the
    awaited calls again (``await (await h.fetch())``)."""
    (tmp_path / "svc.py").write_text(
        "import requests\n\n\ndef fetch():\n    return requests.get('http://x', timeout=1)\n")
    twin = tmp_path / "svc_async"
    twin.mkdir()
    (twin / "migrated.txt").write_text("svc.view\n")
    (twin / "__init__.py").write_text(
        "# Async twin of svc, written by `asyncify apply` (re-run it; do not edit).\n"
        "import requests\n\n\ndef fetch():\n    return requests.get('http://x', timeout=1)\n")
    mine = tmp_path / "docs_tools"  # a user's own migrated.txt: not a twin package
    mine.mkdir()
    (mine / "migrated.txt").write_text("notes\n")
    (mine / "fetcher.py").write_text(
        "import requests\n\n\ndef fetch():\n    return requests.get('http://x', timeout=1)\n")
    result = runner.invoke(app, ["apply", "--recipe", "requests-to-httpx", "--propagate",
                                 "--root", str(tmp_path), "--allow-dirty", str(tmp_path)])
    assert "svc_async/__init__.py: skipped: written by asyncify apply" in result.output
    assert "+++ b/svc.py" in result.output and "+++ b/svc_async" not in result.output
    assert "+++ b/docs_tools/fetcher.py" in result.output


def test_a_dict_display_sent_as_data_gets_no_unknown_type_marker(tmp_path: Path) -> None:
    """``data={"n": value}`` is a dict: requests_params drops its None values as requests
    does, and the "data= of unknown type … str/bytes bodies want content=" TODO said nothing
    true; a name (whose type the call does not show) keeps the TODO."""
    from asyncify.codemods import select, transform

    source = (b"import requests\n\n\nasync def send(value, body):\n"
              b"    requests.post('http://x', data={'n': value}, timeout=1)\n"
              b"    requests.post('http://x', data=body, timeout=1)\n")
    outcome = transform("send.py", source, select("requests-to-httpx"))
    text = outcome.new.decode()
    assert "data=requests_params({'n': value})" in text
    assert [t.message.startswith("data= of unknown type") for t in outcome.todos
            if t.rule == "ASY201"].count(True) == 1
