"""gateway fixtures: the app served for real in front of the fake upstream, and a second
instance whose upstream is unreachable."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

PROJECT_DIR = Path(__file__).resolve().parents[1]
DEFAULT_APP = "wsgi:gateway.app:create_app()"


def _serve(serve_app: Callable[..., Any], upstream_url: str) -> Any:
    return serve_app(
        "GATEWAY_APP",
        default=DEFAULT_APP,
        project_dir=PROJECT_DIR,
        env={"UPSTREAM_URL": upstream_url, "UPSTREAM_TIMEOUT": "0.5"},
        ready_path="/healthz",
    )


@pytest.fixture(scope="session")
def gateway_url(serve_app: Callable[..., Any], upstream_url: str) -> Iterator[str]:
    with _serve(serve_app, upstream_url) as url:
        yield url


@pytest.fixture(scope="session")
def client(gateway_url: str) -> Iterator[httpx.Client]:
    """Redirects are not followed: tests assert them."""
    with httpx.Client(base_url=gateway_url, timeout=10.0) as http:
        yield http


@pytest.fixture(scope="session")
def cut_off_client(serve_app: Callable[..., Any], sample_harness: Any) -> Iterator[httpx.Client]:
    """A client of a gateway whose UPSTREAM_URL points at a port that refuses connections."""
    with (
        sample_harness.refused_port() as port,
        _serve(serve_app, f"http://127.0.0.1:{port}") as url,
        httpx.Client(base_url=url, timeout=10.0) as http,
    ):
        yield http
