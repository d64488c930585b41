"""ASY3xx: psycopg2 → asyncpg."""

from __future__ import annotations

from . import adapters, cursors, exceptions, parameters, pools, transactions
from ._sql import Translation, translate

__all__ = [
    "Translation",
    "adapters",
    "cursors",
    "exceptions",
    "parameters",
    "pools",
    "transactions",
    "translate",
]
