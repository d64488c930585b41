"""``[tool.asyncify.verify]``: what to send, what to compare, and where writes may go."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._config import tool_table
from ..errors import ConfigError

#: Response headers always compared, besides the status and the body.
ALWAYS_COMPARED = ("content-type", "location")


@dataclass(frozen=True)
class Replacement:
    """A regular expression replaced in both bodies before they are compared."""

    pattern: str
    replacement: str


@dataclass(frozen=True)
class EndpointSettings:
    """Per-endpoint overrides, keyed by endpoint id in ``[tool.asyncify.verify.endpoints]``."""

    values: dict[str, list[Any]] = field(default_factory=dict)
    queries: list[dict[str, Any]] = field(default_factory=list)
    json: Any = None
    form: dict[str, str] | None = None
    skip: bool = False


@dataclass(frozen=True)
class VerifySettings:
    """Everything ``asyncify verify`` can be told; each default works for a plain Flask app."""

    headers: tuple[str, ...] = ()
    request_headers: dict[str, str] = field(default_factory=dict)
    json: bool = False
    ignore_paths: tuple[str, ...] = ()
    replace: tuple[Replacement, ...] = ()
    values: dict[str, list[Any]] = field(default_factory=dict)
    endpoints: dict[str, EndpointSettings] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    ready_path: str = "/"
    timeout: float = 10.0
    database_env: str = "DATABASE_URL"
    scratch_template: str | None = None
    compare_tables: tuple[str, ...] = ()
    ignore_columns: tuple[str, ...] = ()

    @property
    def compared_headers(self) -> tuple[str, ...]:
        extra = [h.lower() for h in self.headers if h.lower() not in ALWAYS_COMPARED]
        return (*ALWAYS_COMPARED, *extra)


_KEYS = {
    "headers", "request_headers", "json", "ignore_paths", "replace", "values", "endpoints",
    "env", "ready_path", "timeout", "database_env", "scratch_template", "compare_tables",
    "ignore_columns",
}  # fmt: skip
_ENDPOINT_KEYS = {"values", "queries", "json", "form", "skip"}


def load_settings(root: Path) -> VerifySettings:
    """Read ``[tool.asyncify.verify]`` from ``root/pyproject.toml`` (defaults when absent).

    :raises ConfigError: a key is unknown or a value has the wrong type.
    """
    where, table = tool_table(root)
    raw = table.get("verify", {})
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: [tool.asyncify.verify] must be a table, got {raw!r}")
    return parse_settings(raw, str(where))


def parse_settings(raw: dict[str, Any], where: str = "[tool.asyncify.verify]") -> VerifySettings:
    """Settings from a ``[tool.asyncify.verify]``-shaped mapping.

    :raises ConfigError: a key is unknown or a value has the wrong type.
    """
    unknown = sorted(set(raw) - _KEYS)
    if unknown:
        raise ConfigError(
            f"{where}: unknown [tool.asyncify.verify] key(s) {unknown!r} "
            f"(known keys: {', '.join(sorted(_KEYS))})"
        )
    check = _Checker(where)
    replace = []
    for item in check.typed(raw, "replace", list, []):
        if not isinstance(item, dict) or set(item) != {"pattern", "with"}:
            raise ConfigError(f"{where}: each verify.replace entry must be "
                              f"{{pattern = '…', with = '…'}}, got {item!r}")
        replace.append(Replacement(str(item["pattern"]), str(item["with"])))
    template = raw.get("scratch_template")
    if template is not None and not isinstance(template, str):
        raise ConfigError(f"{where}: verify.scratch_template must be a string, got {template!r}")
    return VerifySettings(
        headers=check.strings(raw, "headers"),
        request_headers=check.string_map(raw, "request_headers"),
        json=check.typed(raw, "json", bool, False),
        ignore_paths=check.strings(raw, "ignore_paths"),
        replace=tuple(replace),
        values=check.value_lists(raw.get("values", {}), "values"),
        endpoints={
            ident: check.endpoint(ident, spec)
            for ident, spec in check.typed(raw, "endpoints", dict, {}).items()
        },
        env=check.string_map(raw, "env"),
        ready_path=check.typed(raw, "ready_path", str, "/"),
        timeout=float(check.typed(raw, "timeout", (int, float), 10.0)),
        database_env=check.typed(raw, "database_env", str, "DATABASE_URL"),
        scratch_template=template,
        compare_tables=check.strings(raw, "compare_tables"),
        ignore_columns=check.strings(raw, "ignore_columns"),
    )


class _Checker:
    def __init__(self, where: str) -> None:
        self.where = where

    def fail(self, key: str, expected: str, value: object) -> ConfigError:
        return ConfigError(f"{self.where}: verify.{key} must be {expected}, got {value!r}")

    def typed(self, raw: dict[str, Any], key: str, kind: Any, default: Any) -> Any:
        value = raw.get(key, default)
        if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
            raise self.fail(key, f"of type {getattr(kind, '__name__', kind)}", value)
        return value

    def strings(self, raw: dict[str, Any], key: str) -> tuple[str, ...]:
        value = raw.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(key, "a list of strings", value)
        return tuple(value)

    def string_map(self, raw: dict[str, Any], key: str) -> dict[str, str]:
        value = raw.get(key, {})
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise self.fail(key, "a table of strings", value)
        return dict(value)

    def value_lists(self, value: object, key: str) -> dict[str, list[Any]]:
        if not isinstance(value, dict):
            raise self.fail(key, "a table of {parameter = [values]}", value)
        out = {}
        for name, values in value.items():
            values = values if isinstance(values, list) else [values]
            if not values:
                raise self.fail(f"{key}.{name}", "a non-empty list", values)
            out[str(name)] = values
        return out

    def endpoint(self, ident: str, spec: object) -> EndpointSettings:
        key = f"endpoints.{ident!r}"
        if not isinstance(spec, dict) or set(spec) - _ENDPOINT_KEYS:
            raise self.fail(key, f"a table with keys {sorted(_ENDPOINT_KEYS)}", spec)
        queries = spec.get("queries", [])
        if not isinstance(queries, list) or not all(isinstance(q, dict) for q in queries):
            raise self.fail(f"{key}.queries", "a list of tables", queries)
        form = spec.get("form")
        if form is not None and not isinstance(form, dict):
            raise self.fail(f"{key}.form", "a table", form)
        return EndpointSettings(
            values=self.value_lists(spec.get("values", {}), f"{key}.values"),
            queries=queries,
            json=spec.get("json"),
            form=None if form is None else {str(k): str(v) for k, v in form.items()},
            skip=self.typed(spec, "skip", bool, False),
        )
