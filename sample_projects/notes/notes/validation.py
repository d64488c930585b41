"""Request-body checks (pure: no I/O). A problem is reported as a 400 by the caller."""

from __future__ import annotations

from typing import Any


class Invalid(ValueError):
    """A request body the API refuses, with the message sent back to the client."""


def require_text(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise Invalid(f"{key} must be a non-empty string")
    return value.strip()


def require_id(data: dict[str, Any], key: str) -> int:
    value = data.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise Invalid(f"{key} must be a positive integer")
    return value


def tag_list(data: dict[str, Any]) -> list[str]:
    tags = data.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) and t.strip() for t in tags):
        raise Invalid("tags must be a list of non-empty strings")
    return list(dict.fromkeys(t.strip().lower() for t in tags))
