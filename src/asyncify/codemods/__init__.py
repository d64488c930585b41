"""The codemods: rewrite rules with stable IDs, run by one engine, grouped into recipes.

Importing this package registers every rule.
"""

from __future__ import annotations

from . import flask_fastapi, propagation, psycopg2, requests_httpx, sqlalchemy, stdlib, testsuite
from ._engine import NO_CONTEXT, FileContext, Outcome, Pass, transform
from ._recipes import Recipe, load_recipes, select
from ._rule import DOCS_BASE, REGISTRY, Example, Rule, Todo, register

__all__ = [
    "DOCS_BASE",
    "NO_CONTEXT",
    "REGISTRY",
    "Example",
    "FileContext",
    "Outcome",
    "Pass",
    "Recipe",
    "Rule",
    "Todo",
    "flask_fastapi",
    "load_recipes",
    "propagation",
    "psycopg2",
    "register",
    "requests_httpx",
    "select",
    "sqlalchemy",
    "stdlib",
    "testsuite",
    "transform",
]
