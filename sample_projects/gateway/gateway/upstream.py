"""The gateway's HTTP client for the upstream services."""

from __future__ import annotations

import logging
from typing import Any

import requests
from flask import current_app
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from .tracing import trace_headers

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 1.0


def _log_response(response: requests.Response, *args: Any, **kwargs: Any) -> None:
    log.debug("%s %s -> %s", response.request.method, response.url, response.status_code)


class UpstreamClient:
    """A pooled Session. Idempotent calls are retried on 502/503/504 and on connect errors."""

    def __init__(self, base_url: str, *, api_key: str, timeout: float, retries: int) -> None:
        self.base_url = base_url
        self.timeout = (CONNECT_TIMEOUT, timeout)
        retry = Retry(
            total=retries,
            read=False,
            status_forcelist=(502, 503, 504),
            allowed_methods=frozenset({"GET", "HEAD"}),
            backoff_factor=0.02,
        )
        self.session = requests.Session()
        self.session.mount("http://", HTTPAdapter(max_retries=retry, pool_maxsize=16))
        self.session.mount("https://", HTTPAdapter(max_retries=retry, pool_maxsize=16))
        self.session.params = {"api_key": api_key}
        self.session.hooks["response"].append(_log_response)

    def get_json(self, path: str, **params: Any) -> Any:
        response = self.session.get(
            self.base_url + path, params=params, headers=trace_headers(), timeout=self.timeout
        )
        response.raise_for_status()
        return response.json()

    def post_json(self, path: str, payload: Any) -> Any:
        response = self.session.post(
            self.base_url + path, json=payload, headers=trace_headers(), timeout=self.timeout
        )
        response.raise_for_status()
        return response.json()

    def get_text(self, path: str) -> str:
        response = self.session.get(
            self.base_url + path, headers=trace_headers(), timeout=self.timeout
        )
        response.raise_for_status()
        # The catalog sends text/plain without a charset; requests would assume ISO-8859-1.
        response.encoding = "utf-8"
        return response.text

    def open_stream(self, path: str) -> requests.Response:
        """GET with a streamed body; the caller must close the response."""
        response = self.session.get(
            self.base_url + path, headers=trace_headers(), timeout=self.timeout, stream=True
        )
        if not response.ok:
            with response:
                detail = response.content  # small; read it so the error handler can report it
                log.info("stream %s failed: %r", path, detail[:200])
                response.raise_for_status()
        return response


def upstream() -> UpstreamClient:
    return current_app.extensions["gateway.upstream"]


def init_app(app: Any) -> None:
    config = app.config
    app.extensions["gateway.upstream"] = UpstreamClient(
        config["UPSTREAM_URL"],
        api_key=config["UPSTREAM_API_KEY"],
        timeout=config["UPSTREAM_TIMEOUT"],
        retries=config["UPSTREAM_RETRIES"],
    )
