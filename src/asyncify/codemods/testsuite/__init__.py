"""ASY7xx: test suites written for Flask's test client and mocked ``requests`` → an httpx
client over the migrated ASGI app and respx mocks (docs/test-migration.md)."""

from __future__ import annotations

from . import (
    apps,
    async_client,
    client,
    client_responses,
    flask_testing_lib,
    httmock_lib,
    patches,
    requests_mock_lib,
    responses_lib,
)

__all__ = ["apps", "async_client", "client", "client_responses", "flask_testing_lib",
           "httmock_lib", "patches", "requests_mock_lib", "responses_lib"]
