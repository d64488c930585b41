"""`asyncify plan` on the sample projects: the expected table, held here.

Every endpoint with its methods and full path (blueprint prefixes included), its handler, and
every blocking operation it reaches transitively, with file:line. Each entry was checked by
hand against the sample's source; the sample's own README lists the same endpoints. The
route table is also checked against Flask's real ``url_map``.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SAMPLES = Path(__file__).resolve().parents[1] / "sample_projects"

EXPECTED: dict[str, dict[str, tuple[str, list[str]]]] = {
    'bookshop': {
        'GET /': ('bookshop.views.meta.index', []),
        'POST /admin/authors': ('bookshop.views.admin.create_author', [
            'psycopg2.extensions.connection.commit bookshop/services/catalog.py:77',
            'psycopg2.extensions.connection.rollback bookshop/db.py:49',
            'psycopg2.extensions.cursor.execute bookshop/services/catalog.py:72',
            'psycopg2.pool.AbstractConnectionPool bookshop/db.py:35',
            'psycopg2.pool.AbstractConnectionPool.getconn bookshop/db.py:45',
        ]),
        'GET /admin/diagnostics': ('bookshop.views.admin.diagnostics', [
            'psycopg2.extensions.connection.rollback bookshop/db.py:49',
            'psycopg2.extensions.cursor.execute bookshop/db.py:67',
            'psycopg2.pool.AbstractConnectionPool bookshop/db.py:35',
            'psycopg2.pool.AbstractConnectionPool.getconn bookshop/db.py:45',
            'subprocess.run bookshop/views/admin.py:48',
        ]),
        'POST /admin/reprice': ('bookshop.views.admin.reprice', [
            'psycopg2.extensions.connection.commit bookshop/services/reports.py:57',
            'psycopg2.extensions.connection.rollback bookshop/db.py:49',
            'psycopg2.extensions.cursor.execute bookshop/db.py:55',
            'psycopg2.extras.execute_batch bookshop/services/reports.py:56',
            'psycopg2.pool.AbstractConnectionPool bookshop/db.py:35',
            'psycopg2.pool.AbstractConnectionPool.getconn bookshop/db.py:45',
            'requests.Session.get bookshop/services/pricing.py:23',
        ]),
        'GET /admin/stats': ('bookshop.views.admin.stats', [
            'psycopg2.extensions.connection.rollback bookshop/db.py:49',
            'psycopg2.extensions.cursor.execute bookshop/services/reports.py:21',
            'psycopg2.extensions.cursor.execute bookshop/services/reports.py:22',
            'psycopg2.extensions.cursor.execute bookshop/services/reports.py:24',
            'psycopg2.extensions.cursor.execute bookshop/services/reports.py:26',
            'psycopg2.extensions.cursor.execute bookshop/services/reports.py:28',
            'psycopg2.pool.AbstractConnectionPool bookshop/db.py:35',
            'psycopg2.pool.AbstractConnectionPool.getconn bookshop/db.py:45',
        ]),
        'GET /api/books/': ('bookshop.views.books.list_books', [
            'psycopg2.extensions.connection.rollback bookshop/db.py:49',
            'psycopg2.extensions.cursor.execute bookshop/db.py:55',
            'psycopg2.extensions.cursor.execute bookshop/db.py:67',
            'psycopg2.pool.AbstractConnectionPool bookshop/db.py:35',
            'psycopg2.pool.AbstractConnectionPool.getconn bookshop/db.py:45',
        ]),
        'GET /api/books/<int:book_id>': ('bookshop.views.books.book_detail', [
            'psycopg2.extensions.connection.rollback bookshop/db.py:49',
            'psycopg2.extensions.cursor.execute bookshop/db.py:61',
            'psycopg2.pool.AbstractConnectionPool bookshop/db.py:35',
            'psycopg2.pool.AbstractConnectionPool.getconn bookshop/db.py:45',
        ]),
        'GET /api/books/<int:book_id>/availability': ('bookshop.views.books.book_availability', [
            'psycopg2.extensions.connection.rollback bookshop/db.py:49',
            'psycopg2.extensions.cursor.execute bookshop/db.py:61',
            'psycopg2.pool.AbstractConnectionPool bookshop/db.py:35',
            'psycopg2.pool.AbstractConnectionPool.getconn bookshop/db.py:45',
            'requests.get bookshop/services/inventory.py:15',
        ]),
        'GET /api/books/<int:book_id>/excerpt': ('bookshop.views.books.book_excerpt', [
            'builtins.open bookshop/services/excerpts.py:13',
            'psycopg2.extensions.connection.rollback bookshop/db.py:49',
            'psycopg2.extensions.cursor.execute bookshop/db.py:61',
            'psycopg2.pool.AbstractConnectionPool bookshop/db.py:35',
            'psycopg2.pool.AbstractConnectionPool.getconn bookshop/db.py:45',
        ]),
        'GET /api/books/<int:book_id>/price': ('bookshop.views.books.book_price', [
            'psycopg2.extensions.connection.rollback bookshop/db.py:49',
            'psycopg2.extensions.cursor.execute bookshop/db.py:61',
            'psycopg2.pool.AbstractConnectionPool bookshop/db.py:35',
            'psycopg2.pool.AbstractConnectionPool.getconn bookshop/db.py:45',
            'requests.Session.get bookshop/services/pricing.py:23',
        ]),
        'GET /api/books/bestsellers': ('bookshop.views.books.bestsellers', [
            'psycopg2.extensions.connection.rollback bookshop/db.py:49',
            'psycopg2.extensions.cursor.execute bookshop/db.py:55',
            'psycopg2.pool.AbstractConnectionPool bookshop/db.py:35',
            'psycopg2.pool.AbstractConnectionPool.getconn bookshop/db.py:45',
        ]),
        'GET /api/orders/': ('bookshop.views.orders.customer_orders', [
            'psycopg2.extensions.connection.rollback bookshop/db.py:49',
            'psycopg2.extensions.cursor.execute bookshop/db.py:55',
            'psycopg2.pool.AbstractConnectionPool bookshop/db.py:35',
            'psycopg2.pool.AbstractConnectionPool.getconn bookshop/db.py:45',
        ]),
        'POST /api/orders/': ('bookshop.views.orders.create_order', [
            'psycopg2.extensions.connection.commit bookshop/services/orders.py:88',
            'psycopg2.extensions.connection.rollback bookshop/db.py:49',
            'psycopg2.extensions.connection.rollback bookshop/services/orders.py:90',
            'psycopg2.extensions.cursor.execute bookshop/db.py:55',
            'psycopg2.extensions.cursor.execute bookshop/db.py:61',
            'psycopg2.extensions.cursor.execute bookshop/services/orders.py:52',
            'psycopg2.extensions.cursor.execute bookshop/services/orders.py:61',
            'psycopg2.extensions.cursor.executemany bookshop/services/orders.py:80',
            'psycopg2.pool.AbstractConnectionPool bookshop/db.py:35',
            'psycopg2.pool.AbstractConnectionPool.getconn bookshop/db.py:45',
            'requests.Session.post bookshop/services/pricing.py:33',
            'requests.get bookshop/services/shipping.py:22',
            'time.sleep bookshop/services/shipping.py:30',
        ]),
        'GET DELETE /api/orders/<int:order_id>': ('bookshop.views.orders.OrderAPI', [
            'psycopg2.extensions.connection.rollback bookshop/db.py:49',
            'psycopg2.extensions.cursor.execute bookshop/db.py:55',
            'psycopg2.extensions.cursor.execute bookshop/db.py:61',
            'psycopg2.extensions.cursor.execute bookshop/services/orders.py:137',
            'psycopg2.extensions.cursor.execute bookshop/services/orders.py:143',
            'psycopg2.extensions.cursor.execute bookshop/services/orders.py:148',
            'psycopg2.pool.AbstractConnectionPool bookshop/db.py:35',
            'psycopg2.pool.AbstractConnectionPool.getconn bookshop/db.py:45',
        ]),
        'GET /api/tools/isbn': ('bookshop.views.tools.isbn', []),
        'GET /api/tools/price-simulation': ('bookshop.views.tools.price_simulation', []),
        'GET /health': ('bookshop.views.meta.health', []),
        'GET /version': ('bookshop.app.create_app.<locals>.version', []),
    },
    'gateway': {
        'POST /api/cart/validate': ('gateway.views.shop.validate_cart', []),
        'POST /api/checkout': ('gateway.views.shop.checkout', [
            'requests.Session.get gateway/upstream.py:44',
            'requests.Session.post gateway/upstream.py:51',
            'requests.post gateway/fulfilment.py:24',
        ]),
        'GET /api/currency/convert': ('gateway.views.shop.convert_currency', [
            'requests.get gateway/views/shop.py:82',
        ]),
        'GET /api/products/<sku>': ('gateway.views.products.product_page', [
            'requests.Session.get gateway/upstream.py:44',
        ]),
        'GET /api/products/<sku>/description': ('gateway.views.products.product_description', [
            'requests.Session.get gateway/upstream.py:58',
        ]),
        'GET /api/products/<sku>/reviews': ('gateway.views.products.product_reviews', [
            'requests.Session.get gateway/upstream.py:44',
        ]),
        'GET /api/products/<sku>/reviews/stream': ('gateway.views.products.product_reviews_stream', [
            'requests.Response.iter_lines gateway/views/products.py:76',
            'requests.Session.get gateway/upstream.py:68',
        ]),
        'GET /api/recommendations/<int:customer_id>': ('gateway.views.shop.recommendations', [
            'requests.Session.get gateway/upstream.py:44',
        ]),
        'GET /api/shipping/estimate': ('gateway.views.shop.shipping_estimate', [
            'requests.Session.get gateway/upstream.py:44',
        ]),
        'GET /healthz': ('gateway.app.healthz', []),
    },
}


def table(data: dict) -> dict[str, tuple[str, list[str]]]:
    return {
        f"{' '.join(e['methods'])} {e['path']}": (
            e["id"],
            sorted({f"{b['operation']} {b['file']}:{b['line']}" for b in e["blocking"]}),
        )
        for e in data["endpoints"]
    }


@functools.cache
def plan_json(name: str) -> dict:
    """The plan of one sample, through the real command line (stderr must stay empty)."""
    out = subprocess.run(
        [sys.executable, "-m", "asyncify", "plan", str(SAMPLES / name), "--format", "json",
         "--no-cache"],
        capture_output=True, text=True, check=True, timeout=120,
    )
    assert out.stderr == "", out.stderr
    return json.loads(out.stdout)


@pytest.fixture(params=sorted(EXPECTED))
def sample(request):
    return request.param, plan_json(request.param)


def test_expected_table(sample):
    name, data = sample
    assert table(data) == EXPECTED[name]


def test_endpoints_without_io_are_marked(sample):
    name, data = sample
    for endpoint in data["endpoints"]:
        key = f"{' '.join(endpoint['methods'])} {endpoint['path']}"
        no_io = not EXPECTED[name][key][1]
        assert endpoint["io"] is not no_io
        assert (endpoint["wave"] == 4) is no_io
        assert endpoint["verdict"].startswith("no benefit") is no_io


def test_route_table_matches_flask(sample):
    name, data = sample
    dump = (
        "import json, sys\n"
        f"from {name}.app import create_app\n"
        "app = create_app()\n"
        "rules = sorted([r.rule, sorted(r.methods - {'HEAD', 'OPTIONS'})] "
        "for r in app.url_map.iter_rules() if r.endpoint != 'static')\n"
        "print(json.dumps(rules))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(SAMPLES / name),
           "DATABASE_URL": "postgresql://unused@127.0.0.1:1/unused",
           "UPSTREAM_URL": "http://127.0.0.1:1"}
    out = subprocess.run([sys.executable, "-c", dump], env=env, capture_output=True,
                         text=True, check=True, timeout=60)
    planned = sorted([e["path"], sorted(e["methods"])] for e in data["endpoints"])
    assert planned == json.loads(out.stdout)


def test_call_paths_name_each_hop():
    data = plan_json("bookshop")
    create = next(e for e in data["endpoints"] if e["id"] == "bookshop.views.orders.create_order")
    sleep = next(b for b in create["blocking"] if b["operation"] == "time.sleep")
    hops = [(s["function"], s["file"]) for s in sleep["path"]]
    assert hops[0] == ("bookshop.views.orders.create_order", "bookshop/views/orders.py")
    assert hops[-1] == ("bookshop.services.shipping.quote_shipping",
                        "bookshop/services/shipping.py")
    assert sleep["path"][-1]["line"] == sleep["line"] == 30
    assert sleep["in_loop"] is True


def test_cpu_heavy_endpoint_is_flagged():
    data = plan_json("bookshop")
    simulation = next(e for e in data["endpoints"] if e["path"] == "/api/tools/price-simulation")
    assert [h["kind"] for h in simulation["cpu_hints"]] == ["nested-loops"]
    assert simulation["verdict"] == "no benefit: no I/O, CPU-bound"
