"""``[tool.asyncify.check]`` in pyproject.toml: which rules run, and the baseline file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .._config import tool_table
from ..errors import ConfigError

_KEYS = {"select", "ignore", "baseline"}


@dataclass(frozen=True, slots=True)
class CheckSettings:
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    baseline: Path | None = None


def load_settings(root: Path) -> CheckSettings:
    """:raises ConfigError: the table has an unknown key or a value of the wrong type."""
    pyproject, tool = tool_table(root)
    table = tool.get("check", {})
    where = f"{pyproject}: [tool.asyncify.check]"
    if not isinstance(table, dict):
        raise ConfigError(f"{where} must be a table, got {table!r}")
    unknown = sorted(set(table) - _KEYS)
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {unknown!r} (known: select, ignore, baseline)")
    codes = {}
    for key in ("select", "ignore"):
        value = table.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{where} {key} must be a list of rule codes, got {value!r}")
        codes[key] = tuple(v.upper() for v in value)
    baseline = table.get("baseline")
    if baseline is not None and not isinstance(baseline, str):
        raise ConfigError(f"{where} baseline must be a path string, got {baseline!r}")
    return CheckSettings(codes["select"], codes["ignore"],
                         root / baseline if baseline is not None else None)
