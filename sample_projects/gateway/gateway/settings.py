"""Settings, read from the environment when the app is created."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any


def from_env(environ: Mapping[str, str] = os.environ) -> dict[str, Any]:
    return {
        "UPSTREAM_URL": environ.get("UPSTREAM_URL", "http://127.0.0.1:8801").rstrip("/"),
        "UPSTREAM_API_KEY": environ.get("UPSTREAM_API_KEY", "gateway-dev"),
        # Read timeout, in seconds, for every upstream call; connecting gets 1 s.
        "UPSTREAM_TIMEOUT": float(environ.get("UPSTREAM_TIMEOUT", "2.0")),
        "UPSTREAM_RETRIES": int(environ.get("UPSTREAM_RETRIES", "3")),
        "FULFILMENT_SECRET": environ.get("FULFILMENT_SECRET", "whsec_sample"),
    }
