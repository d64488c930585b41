"""ASY4xx: SQLAlchemy and Flask-SQLAlchemy → SQLAlchemy asyncio."""

from __future__ import annotations

from . import awaits, engines, flask_sqlalchemy, loading, queries, run_sync, sessions

__all__ = ["awaits", "engines", "flask_sqlalchemy", "loading", "queries", "run_sync", "sessions"]
