"""Recipes: named, ordered lists of rule IDs, declared in ``codemods/recipes.toml``."""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources

from ..errors import UsageError
from ._rule import REGISTRY


@dataclass(frozen=True)
class Recipe:
    name: str
    description: str
    rules: tuple[str, ...]


def load_recipes() -> dict[str, Recipe]:
    text = (resources.files("asyncify") / "codemods_data" / "recipes.toml").read_text("utf-8")
    recipes = {}
    for raw in tomllib.loads(text).get("recipe", []):
        recipe = Recipe(raw["name"], raw.get("description", ""), tuple(raw["rules"]))
        unknown = [r for r in recipe.rules if r not in REGISTRY.rules]
        if unknown:
            raise RuntimeError(f"recipe {recipe.name!r} names unregistered rules {unknown!r}")
        recipes[recipe.name] = recipe
    return recipes


def select(recipe: str, only: Sequence[str] = (), skip: Sequence[str] = ()) -> list[str]:
    """The rule IDs to run, in the recipe's order.

    :raises UsageError: an unknown recipe or rule ID (with a "did you mean").
    """
    recipes = load_recipes()
    if recipe not in recipes:
        raise UsageError(f"unknown recipe {recipe!r}{_did_you_mean(recipe, recipes)} "
                         f"(recipes: {', '.join(sorted(recipes))})")
    for rule_id in (*only, *skip):
        if rule_id not in REGISTRY.rules:
            raise UsageError(f"unknown rule ID {rule_id!r}"
                             f"{_did_you_mean(rule_id, REGISTRY.rules)} (see docs/rules.md)")
    chosen = [r for r in recipes[recipe].rules if (not only or r in only) and r not in skip]
    if not chosen:
        raise UsageError(f"--only/--skip leave no rule of recipe {recipe!r} to run "
                         f"(it has {', '.join(recipes[recipe].rules)})")
    return chosen


def _did_you_mean(word: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
