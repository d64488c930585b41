"""The last pass over generated twin code (``asyncify.migrate.tidy``): imports sorted into
isort sections and pruned, long signatures and calls split the way a formatter would. No-op
cases first (each with why it must not change), then rewrites; every output parses and a
second pass changes nothing."""

from __future__ import annotations

import ast

import libcst as cst
import pytest

from asyncify.migrate import tidy

NOOP = [
    pytest.param('"""Doc."""\n\nfrom __future__ import annotations\n\nimport json\n\n'
                 "from fastapi import APIRouter\n\nfrom shop.db import fetch\n\n"
                 "bp = APIRouter()\nx = json.dumps(fetch())\n",
                 id="already sorted, every import used"),
    pytest.param("def f(a, b):\n    return g(a, b)\n", id="short lines: nothing to split"),
    pytest.param("import os  # noqa: F401  (kept on purpose)\n\nx = 1\n",
                 id="an import with a comment is kept as written"),
    pytest.param("if not (not x):  \n    pass\n".replace("  \n", "\n").replace(
        "not (not x)", "not x"), id="a single negation is not a double one"),
]

REWRITES = [
    pytest.param(
        "from __future__ import annotations\nfrom typing import Any, Annotated\nimport requests\n"
        "from fastapi import Query, APIRouter\nfrom asyncify.compat import jsonify\n"
        "from shop.db import fetch\nimport json\n\nbp = APIRouter()\n\n"
        "def view(q: Annotated[str, Query()]):\n    return jsonify(fetch(q))\n",
        "from __future__ import annotations\n\nfrom typing import Annotated\n\n"
        "from asyncify.compat import jsonify\nfrom fastapi import APIRouter, Query\n\n"
        "from shop.db import fetch\n\nbp = APIRouter()\n\n"
        "def view(q: Annotated[str, Query()]):\n    return jsonify(fetch(q))\n",
        id="sections, sorted names, unused imports dropped"),
    pytest.param(
        "def view(customer_id: Annotated[str | None, Query()] = None, since: Annotated[str | None"
        ", Query()] = None):\n    pass\n",
        "def view(\n    customer_id: Annotated[str | None, Query()] = None,\n"
        "    since: Annotated[str | None, Query()] = None,\n):\n    pass\n",
        id="a long signature: one parameter per line"),
    pytest.param(
        "def f():\n    return flask_response(jsonify(error='invalid_request', message=response."
        "json()['error_text']), 422)\n",
        "def f():\n    return flask_response(\n        jsonify(error='invalid_request', "
        "message=response.json()['error_text']), 422\n    )\n",
        id="a long call: its arguments on the next line"),
    pytest.param(
        "def f():\n    return FlaskJSONResponse({'valid': True, 'currency': cart.currency, "
        "'items': cart.as_lines(), 'units': cart.units, 'more': 1})\n",
        "def f():\n    return FlaskJSONResponse(\n        {'valid': True, 'currency': "
        "cart.currency, 'items': cart.as_lines(), 'units': cart.units, 'more': 1},\n    )\n",
        id="arguments still too long: one per line"),
    pytest.param(
        "if not (not response.is_error):\n    pass\n",
        "if response.is_error:\n    pass\n",
        id="a double negation in a condition"),
    pytest.param(
        "from shop.views import helper\n\nx = 1\n",
        "from shop.views import (  # noqa: F401  (unchanged by the twin: re-exported)\n"
        "    other,\n)\n\nx = 1\n",
        id="re-exported names stay, with the marker; an unused import goes"),
]


def run(source: str) -> str:
    reexport = ("shop.views", ["other"]) if "shop.views" in source else ("", [])
    return tidy(cst.parse_module(source), {"shop", "shop_async"}, reexport).code


@pytest.mark.parametrize("source", NOOP)
def test_noop(source: str) -> None:
    assert run(source) == source


@pytest.mark.parametrize(("source", "expected"), REWRITES)
def test_rewrite(source: str, expected: str) -> None:
    out = run(source)
    assert out == expected
    ast.parse(out)
    assert run(out) == out, "a second pass changed it"
