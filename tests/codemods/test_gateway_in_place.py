"""``apply --recipe requests-to-httpx --propagate --write`` over a copy of the gateway sample's
non-Flask modules (upstream, fulfilment, cart, tracing, settings), then the converted functions
run under asyncio against the real upstream service and return what the legacy ones return.

``tracing`` reads Flask's ``g`` and ``upstream``/``fulfilment`` read ``current_app``: both run
inside a plain Flask app context (contextvars reach the awaited code and the worker threads).
What the run leaves: ``UpstreamClient``'s session stays a ``requests.Session`` (a ``Retry``
object, ``pool_maxsize``, a response hook and a streamed response returned to the caller have no
exact httpx form), so its methods stay sync, each with a marker saying why (they still block:
a worker thread is for code that was async already);
``submit_order`` moves to the shared ``httpx.AsyncClient`` with the exact signed JSON bytes.
"""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from asyncify.cli import app

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "sample_projects"
MODULES = ("upstream", "fulfilment", "cart", "tracing", "settings")
runner = CliRunner()


def _harness() -> Any:
    name = "asyncify_sample_harness"  # the name sample_projects/conftest.py loads it under
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, SAMPLES / "harness.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


@pytest.fixture(scope="module")
def upstream_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with _harness().serve_upstream(log_dir=tmp_path_factory.mktemp("logs")) as server:
        yield server.url


@pytest.fixture(scope="module")
def packages(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Any]]:
    """``gw_legacy`` (a plain copy) and ``gw`` (converted in place) on sys.path."""
    root = tmp_path_factory.mktemp("gateway")
    for package in ("gw", "gw_legacy"):
        (root / package).mkdir()
        (root / package / "__init__.py").write_text("")
        for name in MODULES:
            shutil.copy(SAMPLES / "gateway" / "gateway" / f"{name}.py", root / package)
    result = runner.invoke(app, ["apply", "--recipe", "requests-to-httpx", "--propagate",
                                 "--root", str(root), str(root / "gw"), "--write"])
    sys.path.insert(0, str(root))
    try:
        yield root, result
    finally:
        sys.path.remove(str(root))
        for name in [m for m in sys.modules if m.split(".")[0] in ("gw", "gw_legacy")]:
            del sys.modules[name]


def test_what_the_run_converts_and_leaves(packages: tuple[Path, Any]) -> None:
    root, result = packages
    assert result.exit_code == 0, result.output
    upstream = (root / "gw" / "upstream.py").read_text()
    fulfilment = (root / "gw" / "fulfilment.py").read_text()
    assert "self.session = requests.Session()" in upstream
    assert ("    # TODO[asyncify ASY901]: stays sync: ASY204 left blocking code in it: a call "
            "on a requests.Session that stays requests (") in upstream
    assert "\n    def get_json(self, path: str, **params: Any) -> Any:" in upstream
    assert "\n    async def" not in upstream and "to_thread" not in upstream
    assert "async def submit_order(" in fulfilment
    assert 'content=json.dumps(order, allow_nan=False).encode("utf-8")' in fulfilment
    for name in ("cart", "tracing", "settings"):
        assert (root / "gw" / f"{name}.py").read_bytes() == (
            SAMPLES / "gateway" / "gateway" / f"{name}.py").read_bytes()


ORDER = {"customer": {"name": "Ada"}, "items": [{"sku": "BK-1", "qty": 2}], "note": "é"}


def _flask_app(package: str, url: str) -> Any:
    import flask

    settings = importlib.import_module(f"{package}.settings")
    upstream = importlib.import_module(f"{package}.upstream")
    flask_app = flask.Flask(package)
    flask_app.config.update(settings.from_env({"UPSTREAM_URL": url, "UPSTREAM_TIMEOUT": "2"}))
    upstream.init_app(flask_app)
    return flask_app


def test_converted_functions_return_what_the_legacy_ones_return(
    packages: tuple[Path, Any], upstream_url: str
) -> None:
    import flask

    def legacy() -> list[Any]:
        flask_app = _flask_app("gw_legacy", upstream_url)
        upstream = importlib.import_module("gw_legacy.upstream")
        fulfilment = importlib.import_module("gw_legacy.fulfilment")
        with flask_app.app_context():
            flask.g.request_id = "flaky2-legacy"
            client = upstream.upstream()
            try:
                return [
                    client.get_json("/catalog/products/BK-1"),
                    client.get_json("/pricing/BK-1", currency="EUR", coupon=None),
                    client.get_text("/catalog/items/BK-1/description"),
                    client.post_json("/pricing/quote", {"items": [{"sku": "BK-1", "qty": 1}]}),
                    fulfilment.submit_order(ORDER),
                ]
            finally:
                client.session.close()

    async def migrated() -> list[Any]:
        from asyncify.compat import http_client

        flask_app = _flask_app("gw", upstream_url)
        upstream = importlib.import_module("gw.upstream")
        fulfilment = importlib.import_module("gw.fulfilment")
        with flask_app.app_context():
            flask.g.request_id = "flaky2-migrated"
            client = upstream.upstream()
            try:
                # The client's methods stayed sync: a worker thread, as a server runs them.
                return [
                    await asyncio.to_thread(client.get_json, "/catalog/products/BK-1"),
                    await asyncio.to_thread(client.get_json, "/pricing/BK-1", currency="EUR",
                                            coupon=None),
                    await asyncio.to_thread(client.get_text,
                                            "/catalog/items/BK-1/description"),
                    await asyncio.to_thread(client.post_json, "/pricing/quote",
                                            {"items": [{"sku": "BK-1", "qty": 1}]}),
                    await fulfilment.submit_order(ORDER),
                ]
            finally:
                client.session.close()
                await http_client().aclose()

    expected = legacy()
    assert asyncio.run(migrated()) == expected
    # The flaky request id made the first two GETs answer 503: the kept Retry retried them.
    assert expected[0]["sku"] == "BK-1"
    assert expected[4]["status"] == "accepted"
