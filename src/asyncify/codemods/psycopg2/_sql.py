"""The placeholder translator, shared with the runtime helpers in ``asyncify.compat`` (where
it lives, so migrated code can translate dynamic queries without importing libcst)."""

from __future__ import annotations

from ...compat._pgsql import Style, Translation, translate

__all__ = ["Style", "Translation", "translate"]
