"""The public faces: sorted ``__all__`` lists whose names all exist."""

from __future__ import annotations

import importlib

import pytest

PUBLIC = ["asyncify", "asyncify.api", "asyncify.errors", "asyncify.planner"]


@pytest.mark.parametrize("name", PUBLIC)
def test_all_is_sorted_and_importable(name):
    module = importlib.import_module(name)
    exported = module.__all__
    # isort style, as ruff's RUF022 keeps it: CONSTANTS, then Classes, then functions.
    assert exported == sorted(exported, key=lambda n: (
        0 if n.isupper() else 1 if n[0].isupper() else 2, n))
    for symbol in exported:
        assert hasattr(module, symbol), f"{name}.{symbol} is exported but missing"


def test_errors_share_one_base():
    from asyncify import errors

    for symbol in errors.__all__:
        assert issubclass(getattr(errors, symbol), errors.AsyncifyError)
