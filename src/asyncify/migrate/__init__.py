"""Endpoint-by-endpoint migration: async twins beside the legacy code and the combined app."""

from __future__ import annotations

from ._apply import MANIFEST, Migration, migrate, select
from ._tidy import tidy
from ._twins import TwinModule, twin_name

__all__ = ["MANIFEST", "Migration", "TwinModule", "migrate", "select", "tidy", "twin_name"]
