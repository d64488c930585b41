# Async twin of notes.app, written by `asyncify apply` (re-run it; do not edit).
# What is not here comes from the legacy module.
"""The app factory: settings from the environment, the extension, blueprints, JSON errors."""

from __future__ import annotations

from notes.app import (  # noqa: F401  (unchanged by the twin: re-exported)
    create_app,
    database_uri,
    http_error,
)


def health() -> dict[str, str]:
    return {"status": "ok"}
