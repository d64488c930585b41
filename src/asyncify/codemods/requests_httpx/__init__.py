"""ASY2xx: requests → httpx.AsyncClient."""

from __future__ import annotations

from . import calls, exceptions, responses

__all__ = ["calls", "exceptions", "responses"]
