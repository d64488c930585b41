"""The public face of asyncify.bridge: a sorted, complete, documented ``__all__``."""

from __future__ import annotations

import inspect
import types

import pytest

from asyncify import bridge
from asyncify.errors import AsyncifyError


def test_all_is_sorted_and_lists_every_public_name() -> None:
    assert bridge.__all__ == sorted(bridge.__all__)
    public = {
        name
        for name, value in vars(bridge).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert public - {"annotations"} == set(bridge.__all__)


@pytest.mark.parametrize("name", bridge.__all__)
def test_every_public_name_is_documented(name: str) -> None:
    assert inspect.getdoc(getattr(bridge, name))


@pytest.mark.parametrize(
    "name",
    [
        "capture_home_loop",
        "check_cancelled",
        "configure_lane",
        "forbid_blocking",
        "get_lane",
        "home_loop",
        "mount_wsgi",
        "run_async",
        "run_sync",
        "to_async",
        "to_sync",
    ],
)
def test_functions_that_raise_say_what_they_raise(name: str) -> None:
    assert ":raises " in (inspect.getdoc(getattr(bridge, name)) or "")


def test_errors_form_one_hierarchy_under_asyncify_error() -> None:
    errors = [getattr(bridge, name) for name in bridge.__all__ if name.endswith("Error")]
    assert errors
    assert all(issubclass(error, bridge.BridgeError) for error in errors)
    assert issubclass(bridge.BridgeError, AsyncifyError)
    assert issubclass(bridge.BridgeTimeoutError, TimeoutError)
