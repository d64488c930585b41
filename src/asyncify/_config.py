"""``[tool.asyncify]`` settings, read from the project's pyproject.toml."""

from __future__ import annotations

import ast
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ConfigError

DEFAULT_EXCLUDE = (
    ".git/",
    ".hg/",
    ".venv/",
    "venv/",
    ".tox/",
    ".nox/",
    "node_modules/",
    "__pycache__/",
    "build/",
    "dist/",
    ".asyncify-cache/",
)

# "check" and "verify" are the tables read by asyncify.check and asyncify.verify themselves.
_KNOWN_KEYS = {"include", "exclude", "catalog", "cache_dir", "max_file_bytes", "factory", "check",
               "verify"}


@dataclass(frozen=True, slots=True)
class Config:
    """What the user can set; every field has a default that works for a plain Flask repo."""

    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    catalog: tuple[Path, ...] = ()
    cache_dir: Path = field(default_factory=lambda: Path(".asyncify-cache"))
    max_file_bytes: int = 2_000_000
    # How the generated entry points call the legacy app factory (``"create_app('prod')"``),
    # for a factory with required parameters; ``None``: called with no arguments.
    factory: str | None = None


def tool_table(root: Path) -> tuple[Path, dict[str, object]]:
    """``root/pyproject.toml`` and its ``[tool.asyncify]`` table (empty when absent).

    :raises ConfigError: the file is not valid TOML or the table is not a table.
    """
    pyproject = root / "pyproject.toml"
    if not pyproject.is_file():
        return pyproject, {}
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{pyproject}: invalid TOML: {exc} (fix the file's syntax)") from exc
    table = data.get("tool", {}).get("asyncify", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{pyproject}: [tool.asyncify] must be a table, got {table!r}")
    return pyproject, table


def load_config(root: Path) -> Config:
    """Read ``[tool.asyncify]`` from ``root/pyproject.toml``; defaults when absent.

    :raises ConfigError: the file is not valid TOML or a setting has the wrong type.
    """
    pyproject, table = tool_table(root)
    if not table:
        return Config()
    unknown = sorted(set(table) - _KNOWN_KEYS)
    if unknown:
        raise ConfigError(
            f"{pyproject}: unknown [tool.asyncify] key(s) {unknown!r} "
            f"(known keys: {', '.join(sorted(_KNOWN_KEYS))})"
        )
    return Config(
        include=_strings(table, "include", pyproject),
        exclude=_strings(table, "exclude", pyproject),
        catalog=tuple(root / p for p in _strings(table, "catalog", pyproject)),
        cache_dir=Path(_string(table, "cache_dir", pyproject, ".asyncify-cache")),
        max_file_bytes=_int(table, "max_file_bytes", pyproject, 2_000_000),
        factory=_call(table, "factory", pyproject),
    )


def _strings(table: dict[str, object], key: str, where: Path) -> tuple[str, ...]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: [tool.asyncify] {key} must be a list of strings, got {value!r}")
    return tuple(value)


def _string(table: dict[str, object], key: str, where: Path, default: str) -> str:
    value = table.get(key, default)
    if not isinstance(value, str):
        raise ConfigError(f"{where}: [tool.asyncify] {key} must be a string, got {value!r}")
    return value


def _call(table: dict[str, object], key: str, where: Path) -> str | None:
    """A call expression written as a string (``"create_app('production')"``)."""
    value = table.get(key)
    if value is None:
        return None
    try:
        parsed = ast.parse(value, mode="eval").body if isinstance(value, str) else None
    except SyntaxError:
        parsed = None
    if not isinstance(parsed, ast.Call) or not isinstance(parsed.func, ast.Name):
        raise ConfigError(f"{where}: [tool.asyncify] {key} must be a call of the app factory "
                          f"by its name, like \"create_app('production')\", got {value!r}")
    return str(value).strip()


def _int(table: dict[str, object], key: str, where: Path, default: int) -> int:
    value = table.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ConfigError(
            f"{where}: [tool.asyncify] {key} must be a positive integer, got {value!r}"
        )
    return value
