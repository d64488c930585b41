# Async twin of gateway.app, written by `asyncify apply` (re-run it; do not edit).
# What is not here comes from the legacy module.
"""The application factory."""

from __future__ import annotations

from flask import jsonify

from gateway.app import (  # noqa: F401  (unchanged by the twin: re-exported)
    create_app,
)


def healthz():
    return jsonify(status="ok", service="gateway")
