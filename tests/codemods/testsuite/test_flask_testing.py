"""Flask-Testing suites (ASY709) through the whole flask-tests-to-httpx recipe: each class
deriving from ``flask_testing.TestCase`` directly gets one marker with the migration steps,
and nothing else changes (its set-up belongs to the library). No-op cases say why; every
output parses and a second run changes nothing."""

from __future__ import annotations

import ast

import pytest

from asyncify.codemods import select, transform

RECIPES = ["flask-tests-to-httpx", "flask-tests-to-httpx-async"]
MARKER = "# TODO[asyncify ASY709]: Flask-Testing TestCase: self.client is Flask's test client"

NOOPS = [
    pytest.param("import unittest\n\nclass TestCase(unittest.TestCase):\n"
                 "    def test_x(self):\n        self.assertEqual(1, 1)\n",
                 id="a class named TestCase, no Flask-Testing import"),
    pytest.param("import unittest\nfrom flask_testing import TestCase as _unused\n\n"
                 "class T(unittest.TestCase):\n    def test_x(self):\n"
                 "        self.assertIsNotNone(_unused)\n",
                 id="Flask-Testing imported, but the class is a plain unittest.TestCase"),
]

MARKED = [
    pytest.param(
        "from flask import url_for\nfrom flask_testing import TestCase\nfrom app import app\n"
        "from mock import patch\n\n\nclass TestBase(TestCase):\n    def create_app(self):\n"
        "        return app\n\n\nclass TestHome(TestBase):\n    def test_home(self):\n"
        "        with patch('requests.get') as get:\n"
        "            get.return_value.text = 'x'\n"
        "            response = self.client.get(url_for('home'))\n"
        "        self.assert200(response)\n",
        ["TestBase"], id="project_two layout: a base class, tests in subclasses"),
    pytest.param(
        "import flask_testing\nfrom shop import create_app\n\n"
        "class A(flask_testing.TestCase):\n    def create_app(self):\n"
        "        return create_app('test')\n\n    def test_a(self):\n"
        "        self.assertStatus(self.client.get('/a'), 404)\n\n"
        "class B(flask_testing.LiveServerTestCase):\n    def create_app(self):\n"
        "        return create_app('test')\n",
        ["A", "B"], id="module import, TestCase and LiveServerTestCase"),
]


def _run(source: str, recipe: str) -> tuple[str, list[str]]:
    rules = select(recipe)
    outcome = transform("tests/test_app.py", source.encode(), rules)
    new = outcome.new.decode() if outcome.new is not None else source
    ast.parse(new)
    again = transform("tests/test_app.py", new.encode(), rules)
    assert again.new is None or again.new.decode() == new, "second run changed the output"
    return new, [t.rule for t in outcome.todos]


@pytest.mark.parametrize("recipe", RECIPES)
@pytest.mark.parametrize("source", NOOPS)
def test_noop(source: str, recipe: str) -> None:
    assert _run(source, recipe) == (source, [])


@pytest.mark.parametrize("recipe", RECIPES)
@pytest.mark.parametrize(("source", "classes"), MARKED)
def test_a_marker_above_each_flask_testing_class(source: str, classes: list[str],
                                                 recipe: str) -> None:
    new, rules = _run(source, recipe)
    assert "ASY709" in rules and rules.count("ASY709") == len(classes)
    lines = new.splitlines()
    marked = [lines[i + 1].split("(")[0].removeprefix("class ")
              for i, line in enumerate(lines) if line.startswith(MARKER)]
    assert marked == classes
    assert "asgi_client(combined_app(app))" in lines[lines.index(next(
        line for line in lines if line.startswith(MARKER)))]
    # Only markers are added by ASY709: the rest is what the other rules make of it.
    without = "\n".join(line for line in lines if not line.startswith(MARKER)) + "\n"
    assert without == _others(source, recipe)


def _others(source: str, recipe: str) -> str:
    rules = [r for r in select(recipe) if r != "ASY709"]
    outcome = transform("tests/test_app.py", source.encode(), rules)
    return outcome.new.decode() if outcome.new is not None else source
