# Async twin of gateway.upstream, written by `asyncify apply` (re-run it; do not edit).
# What is not here comes from the legacy module.
"""The gateway's HTTP client for the upstream services."""

from __future__ import annotations

import logging
from typing import Any

from asyncify.compat import adopt

import gateway.upstream
from gateway.tracing import trace_headers
from gateway.upstream import (  # noqa: F401  (unchanged by the twin: re-exported)
    _log_response,
    init_app,
)

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 1.0


class UpstreamClient(gateway.upstream.UpstreamClient):
    """Async twin of gateway.upstream.UpstreamClient.

    The legacy app creates the object; twin code gets this view of it from `adopt`:
    the same state, with its HTTP session as an httpx client (same headers, params,
    retries and hooks).
    """

    async def get_json(self, path: str, **params: Any) -> Any:
        response = await self.session.get(
            self.base_url + path,
            params=params,
            headers=trace_headers(),
            timeout=self.timeout,
            follow_redirects=True,
        )
        response.raise_for_status()
        return response.json()

    async def post_json(self, path: str, payload: Any) -> Any:
        response = await self.session.post(
            self.base_url + path,
            json=payload,
            headers=trace_headers(),
            timeout=self.timeout,
            follow_redirects=True,
        )
        response.raise_for_status()
        return response.json()

    async def get_text(self, path: str) -> str:
        response = await self.session.get(
            self.base_url + path,
            headers=trace_headers(),
            timeout=self.timeout,
            follow_redirects=True,
        )
        response.raise_for_status()
        # The catalog sends text/plain without a charset; requests would assume ISO-8859-1.
        response.encoding = "utf-8"
        return response.text


def upstream() -> UpstreamClient:
    """What the legacy gateway.upstream.upstream() returns, seen through its async twin."""
    return adopt(gateway.upstream.upstream(), UpstreamClient)
