"""bookshop: a small Flask + psycopg2 + requests service (a sample project for asyncify)."""

from .app import __version__, create_app

__all__ = ["__version__", "create_app"]
