"""Imports a rewrite adds go at the head of the module, never after code that uses them: a
late import at the end of a module (the usual circular-import layout of Flask apps) must not
pull them down (found on real apps, docs/real-world.md bug 1)."""

from __future__ import annotations

import ast

from asyncify.codemods import select, transform

LATE_IMPORT = b'''"""The app."""
from __future__ import annotations

from flask import Flask

app = Flask(__name__)

from pkg import views  # noqa: E402
'''


def _position(text: str, needle: str) -> int:
    at = text.find(needle)
    assert at >= 0, f"{needle!r} not in:\n{text}"
    return at


def test_added_import_precedes_its_first_use() -> None:
    outcome = transform("app.py", LATE_IMPORT, select("flask-to-fastapi"))
    assert outcome.status == "changed", outcome.reason
    text = outcome.new.decode()
    ast.parse(text)
    assert _position(text, "from asyncify.compat import flask_app") < _position(
        text, "app = flask_app()") < _position(text, "from pkg import views")
    assert text.startswith('"""The app."""\nfrom __future__ import annotations\n')
    again = transform("app.py", outcome.new, select("flask-to-fastapi"))
    assert again.status == "unchanged"


def test_imports_between_code_are_not_the_head() -> None:
    source = (b"import requests\n\nTIMEOUT = 5\n\nimport json  # noqa: E402\n\n\n"
              b"async def rates():\n"
              b"    return json.dumps(requests.get('http://fx/', timeout=TIMEOUT).json())\n")
    outcome = transform("rates.py", source, select("requests-to-httpx"))
    assert outcome.status == "changed", outcome.reason
    text = outcome.new.decode()
    ast.parse(text)
    assert _position(text, "from asyncify.compat import http_client") < _position(
        text, "TIMEOUT = 5")
