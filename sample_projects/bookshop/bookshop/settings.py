"""Settings, read from the environment when the app is created."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

PACKAGE_DIR = Path(__file__).resolve().parent


def from_env(environ: Mapping[str, str] = os.environ) -> dict[str, Any]:
    return {
        "DATABASE_URL": environ.get(
            "DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/bookshop"
        ),
        "UPSTREAM_URL": environ.get("UPSTREAM_URL", "http://127.0.0.1:8801").rstrip("/"),
        # Token for /admin and for order writes; when empty every such request is refused.
        "API_TOKEN": environ.get("API_TOKEN", ""),
        "UPSTREAM_TIMEOUT": float(environ.get("UPSTREAM_TIMEOUT", "2.0")),
        "DB_POOL_MIN": int(environ.get("DB_POOL_MIN", "1")),
        "DB_POOL_MAX": int(environ.get("DB_POOL_MAX", "10")),
        "STATS_STATEMENT_TIMEOUT": environ.get("STATS_STATEMENT_TIMEOUT", "2s"),
        "EXCERPTS_DIR": environ.get("EXCERPTS_DIR", str(PACKAGE_DIR / "excerpts")),
        "DEFAULT_CURRENCY": "USD",
    }
