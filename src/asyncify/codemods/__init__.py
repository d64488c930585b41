"""The codemods: rewrite rules with stable IDs, run by one engine, grouped into recipes.

Importing this package registers every rule.
"""

from __future__ import annotations

from . import requests_httpx, stdlib
from ._engine import Outcome, Pass, transform
from ._recipes import Recipe, load_recipes, select
from ._rule import DOCS_BASE, REGISTRY, Example, Rule, Todo, register

__all__ = [
    "DOCS_BASE",
    "REGISTRY",
    "Example",
    "Outcome",
    "Pass",
    "Recipe",
    "Rule",
    "Todo",
    "load_recipes",
    "register",
    "requests_httpx",
    "select",
    "stdlib",
    "transform",
]
