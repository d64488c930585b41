"""ASY3xx: psycopg2 → asyncpg."""

from __future__ import annotations

from ._sql import Translation, translate

__all__ = ["Translation", "translate"]
