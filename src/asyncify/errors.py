"""One exception hierarchy for everything asyncify raises on purpose.

A message says what happened, shows the bad value with ``!r``, and names the remedy.
"""

from __future__ import annotations

__all__ = [
    "AsyncifyError",
    "CatalogError",
    "ConfigError",
    "InputError",
    "UsageError",
]


class AsyncifyError(Exception):
    """Base class of every error asyncify raises deliberately."""


class UsageError(AsyncifyError):
    """The command line or API call cannot be carried out as given (exit code 2)."""


class ConfigError(AsyncifyError):
    """``[tool.asyncify]`` in pyproject.toml is invalid."""


class CatalogError(AsyncifyError):
    """A catalog TOML file is malformed."""


class InputError(AsyncifyError):
    """A source file cannot be read or parsed."""
