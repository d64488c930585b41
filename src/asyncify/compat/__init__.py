"""Runtime helpers that migrated code calls to keep the legacy behaviour exactly.

The rewrites emit calls to these where the async library differs from the sync one in a way
no keyword argument can express (semantics.md). Each family lives in its own private module.
"""

from __future__ import annotations

from ._http import http_client, requests_params, set_http_client

__all__ = ["http_client", "requests_params", "set_http_client"]
