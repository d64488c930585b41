"""The catalog's names, by category: the rules match what plan and check report."""

from __future__ import annotations

import functools

from ..._catalog import Catalog, load_catalog


@functools.cache
def catalog() -> Catalog:
    """The built-in catalog, loaded once per process."""
    return load_catalog()


@functools.cache
def names(category: str) -> frozenset[str]:
    ops = catalog().operations.values()
    return frozenset(op.name for op in ops if op.category == category)
