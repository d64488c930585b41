"""ASY2xx: requests → httpx.AsyncClient."""

from __future__ import annotations

from . import calls, exceptions, responses, session_setup, sessions

__all__ = ["calls", "exceptions", "responses", "session_setup", "sessions"]
