"""ASY709: Flask-Testing ``TestCase`` classes get a marker saying how to migrate them.

``flask_testing.TestCase`` builds the app from ``create_app()`` and drives it with Flask's
test client (``self.client``), inside a pushed test request context (so ``url_for`` works);
its ``assert200``/``assertStatus``/``assert404``… helpers read ``response.status_code``. Once
the app is migrated, ``create_app()`` may return the FastAPI app (``'FastAPI' object has no
attribute 'response_class'``) and the Flask client cannot drive the ASGI app. The class's
set-up belongs to the library, so the rewrite is left to a person: each class deriving from
it directly gets a marker with the recipe (``docs/test-migration.md#flask-testing``).
"""

from __future__ import annotations

from typing import ClassVar

import libcst as cst

from .._rule import Example, Rule, register

_BASES = frozenset({"flask_testing.TestCase", "flask_testing.LiveServerTestCase",
                    "flask_testing.utils.TestCase", "flask_testing.utils.LiveServerTestCase"})
_WHY = ("Flask-Testing TestCase: self.client is Flask's test client over create_app()'s app "
        "and cannot drive the migrated ASGI app; derive from unittest.TestCase, build the "
        "legacy Flask app in setUp with the project's factory, set self.client = "
        "asgi_client(combined_app(app)) (asyncify.compat), push app.test_request_context() "
        "for url_for, and write assert200(r)/assertStatus(r, n) as "
        "assertEqual(r.status_code, n)")


@register
class FlaskTestingCases(Rule):
    id = "ASY709"
    title = ("Flask-Testing TestCase classes → a marker with the steps to drive the migrated "
             "app (httpx client over combined_app, status-code assertions)")
    gate = frozenset({"flask_testing"})
    triggers = frozenset({"TestCase"})
    async_only = False
    examples: ClassVar[tuple[Example, ...]] = (
        Example(
            "import unittest\nimport flask_testing\n\nclass T(unittest.TestCase):\n"
            "    def test_x(self):\n        self.assertTrue(flask_testing)\n",
            "import unittest\nimport flask_testing\n\nclass T(unittest.TestCase):\n"
            "    def test_x(self):\n        self.assertTrue(flask_testing)\n",
            why="a plain unittest.TestCase: Flask-Testing imported but not subclassed",
        ),
        Example(
            "from flask_testing import TestCase\nfrom app import app\n\n"
            "class Base(TestCase):\n    def create_app(self):\n        return app\n\n"
            "class Home(Base):\n    def test_home(self):\n"
            "        self.assert200(self.client.get('/'))\n",
            "from flask_testing import TestCase\nfrom app import app\n\n"
            f"# TODO[asyncify ASY709]: {_WHY} — "
            "https://asyncify.readthedocs.io/en/latest/rules/#asy709\n"
            "class Base(TestCase):\n    def create_app(self):\n        return app\n\n"
            "class Home(Base):\n    def test_home(self):\n"
            "        self.assert200(self.client.get('/'))\n",
        ),
    )

    def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef) -> cst.ClassDef:
        if any(self.p.qualified(base.value) & _BASES for base in original.bases):
            self.p.todo(self.id, original, _WHY)
        return updated
