"""The gateway driven in-process through Flask's test client, its upstreams mocked at the
``requests`` level: the style most Flask projects' own suites are written in. asyncify's
``flask-tests-to-httpx`` recipe migrates this directory as it is (see
tests/e2e/test_gateway_test_migration.py)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

if importlib.util.find_spec("gateway") is None:  # run from the repository: import the sample
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gateway.app import create_app

UPSTREAM = "http://upstream.test"


@pytest.fixture
def app():
    return create_app({
        "TESTING": True,
        "UPSTREAM_URL": UPSTREAM,
        "UPSTREAM_TIMEOUT": 0.5,
        "UPSTREAM_RETRIES": 1,
    })


@pytest.fixture
def client(app):
    return app.test_client()
