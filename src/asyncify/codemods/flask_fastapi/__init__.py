"""Flask → FastAPI (ASY1xx): the endpoint layer of a Flask module becomes FastAPI code that
answers the same bytes, with ``asyncify.compat`` helpers where FastAPI differs."""

from __future__ import annotations

from . import app, request_data, responses, routes

__all__ = ["app", "request_data", "responses", "routes"]
