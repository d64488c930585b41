"""The bookshop, hand-written on FastAPI + asyncpg + httpx: the same endpoints and the same
response bytes as ``sample_projects/bookshop``, with nothing but what that takes.

It is the practical ceiling of the migration-gain benchmark (what a migrated app could reach
on this machine). Like a migrated app it imports the legacy package's pure helpers (ISBN
check, order validation, the revenue simulation), so ``sample_projects/bookshop`` must be on
``PYTHONPATH``. Settings: ``DATABASE_URL``, ``UPSTREAM_URL``, ``API_TOKEN``,
``UPSTREAM_TIMEOUT``, ``DB_POOL_MIN``/``DB_POOL_MAX``, ``STATS_STATEMENT_TIMEOUT``,
``EXCERPTS_DIR``.

    asgi:bookshop_fastapi:app        (uvicorn, e.g. --workers 2)
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hmac
import json
import os
import sys
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from bookshop.errors import (
    BookshopError,
    InsufficientStock,
    InvalidOrder,
    NotFound,
    OrderNotCancellable,
    ShippingUnavailable,
)
from bookshop.simulation import simulate_revenue
from bookshop.validation import check_isbn, parse_order
from fastapi import FastAPI, Request
from flaskish import (
    NOT_ALLOWED,
    NOT_FOUND,
    RequestIds,
    arg,
    error,
    jsonify,
    redirect,
    upstream_headers,
)
from starlette.exceptions import HTTPException
from starlette.responses import Response

ENV = os.environ
DATABASE_URL = ENV.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/bookshop")
UPSTREAM_URL = ENV.get("UPSTREAM_URL", "http://127.0.0.1:8801").rstrip("/")
API_TOKEN = ENV.get("API_TOKEN", "")
UPSTREAM_TIMEOUT = float(ENV.get("UPSTREAM_TIMEOUT", "2.0"))
STATS_TIMEOUT = ENV.get("STATS_STATEMENT_TIMEOUT", "2s")
EXCERPTS_DIR = Path(ENV.get("EXCERPTS_DIR") or Path(sys.modules["bookshop.errors"].__file__ or "")
                    .parent / "excerpts")
VERSION = "1.4.2"
SORTABLE = {"title": "title", "price": "list_price", "published": "published_on"}
BOOK_SELECT = """
    SELECT b.id, b.isbn, b.title, b.list_price, b.stock, b.published_on, b.metadata,
           b.updated_at, a.id AS author_id, a.name AS author_name
    FROM books b JOIN authors a ON a.id = b.author_id
"""


class Abort(Exception):
    """Flask's ``abort(status, description=...)``."""

    def __init__(self, status: int, name: str, message: str) -> None:
        self.status, self.name, self.message = status, name, message


class Upstream(Exception):
    """An upstream call failed (``requests.RequestException`` in the legacy app)."""

    def __init__(self, status: int | None) -> None:
        self.status = status


async def _init_connection(conn: asyncpg.Connection) -> None:
    for kind in ("json", "jsonb"):
        await conn.set_type_codec(kind, encoder=json.dumps, decoder=json.loads,
                                  schema="pg_catalog")


state: dict[str, Any] = {}


def _client(connections: int) -> httpx.AsyncClient:
    """httpx's own pool, or (ASYNCIFY_HTTP_TRANSPORT=aiohttp) the aiohttp transport, which
    costs a fraction of the CPU per call (benchmarks/http_client_overhead.py)."""
    if os.environ.get("ASYNCIFY_HTTP_TRANSPORT") == "aiohttp":
        from asyncify.compat import AiohttpTransport

        return httpx.AsyncClient(transport=AiohttpTransport())
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    return httpx.AsyncClient(limits=limits)


@contextlib.asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    state["db"] = await asyncpg.create_pool(
        DATABASE_URL, min_size=int(ENV.get("DB_POOL_MIN", "1")),
        max_size=int(ENV.get("DB_POOL_MAX", "10")), init=_init_connection)
    async with _client(200) as client:
        state["http"] = client
        yield
    await state["db"].close()


app = FastAPI(lifespan=lifespan, openapi_url=None, docs_url=None, redoc_url=None,
              redirect_slashes=False)


def db() -> asyncpg.Pool:
    return state["db"]


def http() -> httpx.AsyncClient:
    return state["http"]


# --- errors ----------------------------------------------------------------------------------


@app.exception_handler(Abort)
async def _abort(request: Request, exc: Abort) -> Response:
    return error(exc.status, exc.name, exc.message)


@app.exception_handler(BookshopError)
async def _bookshop_error(request: Request, exc: BookshopError) -> Response:
    return jsonify({"error": exc.code, "message": exc.message, **exc.details}, exc.status_code)


@app.exception_handler(Upstream)
async def _upstream(request: Request, exc: Upstream) -> Response:
    return jsonify({"error": "upstream_error", "message": "an upstream service failed",
                    "upstream_status": exc.status}, 502)


@app.exception_handler(httpx.TimeoutException)
async def _timeout(request: Request, exc: Exception) -> Response:
    return jsonify({"error": "upstream_timeout", "message": "an upstream service timed out"},
                   504)


@app.exception_handler(httpx.HTTPError)
async def _transport(request: Request, exc: Exception) -> Response:
    return await _upstream(request, Upstream(None))


@app.exception_handler(HTTPException)
async def _routing(request: Request, exc: HTTPException) -> Response:
    if exc.status_code == 405:
        return error(405, "method_not_allowed", NOT_ALLOWED)
    path = request.url.path
    if exc.status_code == 404 and path in ("/api/books", "/api/orders"):
        query = request.url.query
        host = request.headers.get("host", "localhost")
        return redirect(f"http://{host}{path}/" + (f"?{query}" if query else ""), 308)
    return error(404, "not_found", NOT_FOUND)


@app.exception_handler(Exception)
async def _internal(request: Request, exc: Exception) -> Response:
    return jsonify({"error": "internal_error", "message": "unexpected server error"}, 500)


def token_is_valid(request: Request) -> bool:
    supplied = request.headers.get("x-api-token", "")
    return bool(API_TOKEN) and hmac.compare_digest(supplied.encode(), API_TOKEN.encode())


def unauthorized() -> Response:
    return jsonify({"error": "unauthorized", "message": "missing or invalid X-Api-Token"}, 401,
                   {"WWW-Authenticate": 'Token realm="bookshop"'})


def _int_or_500(value: str) -> int:
    try:
        return int(value)
    except ValueError:  # psycopg2 would send the string and PostgreSQL would refuse it
        raise RuntimeError(f"invalid input syntax for type integer: {value!r}") from None


# --- upstream --------------------------------------------------------------------------------


def _json(response: httpx.Response) -> Any:
    try:
        return json.loads(response.content)
    except ValueError:
        raise Upstream(None) from None


async def price_for(isbn: str, currency: str, coupon: str | None = None) -> httpx.Response:
    params = {"currency": currency} if coupon is None else {"currency": currency, "coupon": coupon}
    return await http().get(f"{UPSTREAM_URL}/pricing/{isbn}", params=params,
                            headers=upstream_headers(), timeout=UPSTREAM_TIMEOUT)


def _raise_for_status(response: httpx.Response) -> None:
    if response.status_code >= 400:
        raise Upstream(response.status_code)


# --- meta ------------------------------------------------------------------------------------


async def health(request: Request) -> Response:
    return jsonify({"status": "ok"})


async def index(request: Request) -> Response:
    return redirect("/api/books/")


async def version(request: Request) -> Response:
    return jsonify({"name": "bookshop", "version": VERSION})


# --- books -----------------------------------------------------------------------------------


def book_json(row: asyncpg.Record) -> dict[str, Any]:
    return {
        "id": row["id"], "isbn": row["isbn"], "title": row["title"],
        "author": {"id": row["author_id"], "name": row["author_name"]},
        "list_price": row["list_price"], "stock": row["stock"], "in_stock": row["stock"] > 0,
        "published_on": row["published_on"], "metadata": row["metadata"],
        "updated_at": row["updated_at"],
    }


async def load_book(book_id: int) -> asyncpg.Record:
    book = await db().fetchrow(BOOK_SELECT + " WHERE b.id = $1", book_id)
    if book is None:
        raise Abort(404, "not_found", f"book {book_id} not found")
    return book


async def list_books(request: Request) -> Response:
    page = arg(request, "page", 1, int)
    per_page = arg(request, "per_page", 5, int)
    sort = request.query_params.get("sort", "title")
    if page < 1 or not 1 <= per_page <= 50:
        raise Abort(400, "bad_request", "page must be >= 1 and per_page between 1 and 50")
    if sort not in SORTABLE:
        raise Abort(400, "bad_request", f"sort must be one of: {', '.join(sorted(SORTABLE))}")
    conditions, params = [], []
    author_id = request.query_params.get("author_id")
    if author_id is not None:
        params.append(_int_or_500(author_id))
        conditions.append(f"b.author_id = ${len(params)}")
    query = request.query_params.get("q")
    if query:
        params.append(query)
        conditions.append(f"b.title ILIKE '%' || ${len(params)} || '%'")
    where = "WHERE " + " AND ".join(conditions) if conditions else ""
    n = len(params)
    async with db().acquire() as conn:
        rows = await conn.fetch(
            f"{BOOK_SELECT} {where} ORDER BY b.{SORTABLE[sort]}, b.id LIMIT ${n + 1} "
            f"OFFSET ${n + 2}", *params, per_page, (page - 1) * per_page)
        total = await conn.fetchval(f"SELECT count(*) FROM books b {where}", *params)
    return jsonify({"items": [book_json(b) for b in rows], "page": page, "per_page": per_page,
                    "total": total})


async def book_detail(request: Request) -> Response:
    return jsonify(book_json(await load_book(request.path_params["book_id"])))


async def bestsellers(request: Request) -> Response:
    rows = await db().fetch(
        """
        SELECT b.id, b.title, sum(l.qty) AS copies
        FROM order_lines l JOIN orders o ON o.id = l.order_id JOIN books b ON b.id = l.book_id
        WHERE o.status <> 'cancelled'
        GROUP BY b.id, b.title ORDER BY copies DESC, b.title LIMIT $1
        """, arg(request, "limit", 3, int))
    return jsonify({"items": [dict(row) for row in rows]})


async def book_price(request: Request) -> Response:
    book = await load_book(request.path_params["book_id"])
    response = await price_for(book["isbn"], request.query_params.get("currency", "USD"),
                               request.query_params.get("coupon"))
    if response.status_code == 422:
        raise Abort(422, "unprocessable_entity", _json(response)["error"])
    _raise_for_status(response)
    quoted = _json(response)
    return jsonify({
        "book_id": book["id"], "isbn": book["isbn"], "currency": quoted["currency"],
        "catalogue_price_usd": book["list_price"], "list_price": quoted["list_price"],
        "discount": quoted["discount"], "price": quoted["price"],
    })


async def book_availability(request: Request) -> Response:
    book = await load_book(request.path_params["book_id"])
    response = await http().get(f"{UPSTREAM_URL}/inventory/{book['isbn']}",
                                headers=upstream_headers(), timeout=None)
    warehouse = None
    if response.status_code != 404:
        _raise_for_status(response)
        warehouse = _json(response)
    available = warehouse["available"] if warehouse else 0
    return jsonify({
        "book_id": book["id"], "shop_stock": book["stock"],
        "warehouse": warehouse["warehouse"] if warehouse else None,
        "warehouse_stock": available, "can_order": book["stock"] + available > 0,
    })


async def book_excerpt(request: Request) -> Response:
    book_id = request.path_params["book_id"]
    book = await load_book(book_id)
    try:
        text = (EXCERPTS_DIR / f"{book['isbn']}.txt").read_text(encoding="utf-8")
    except FileNotFoundError:
        raise Abort(404, "not_found", f"no excerpt for book {book_id}") from None
    return jsonify({"book_id": book["id"], "title": book["title"], "excerpt": text})


# --- orders ----------------------------------------------------------------------------------

ORDER_SELECT = """
    SELECT o.id, o.status, o.currency, o.total, o.shipping_cost, o.shipping, o.created_at,
           c.id AS customer_id, c.name AS customer_name
    FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.id = $1
"""
LINES_SELECT = """
    SELECT l.book_id, b.title, l.qty, l.unit_price
    FROM order_lines l JOIN books b ON b.id = l.book_id WHERE l.order_id = $1 ORDER BY l.book_id
"""


async def get_order(order_id: int) -> dict[str, Any]:
    async with db().acquire() as conn:
        order = await conn.fetchrow(ORDER_SELECT, order_id)
        if order is None:
            raise NotFound(f"order {order_id} not found")
        lines = await conn.fetch(LINES_SELECT, order_id)
    data = dict(order)
    customer = {"id": data.pop("customer_id"), "name": data.pop("customer_name")}
    return {**data, "customer": customer, "lines": [dict(line) for line in lines]}


async def _request_json(request: Request) -> Any:
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise Abort(415, "unsupported_media_type", "Did not attempt to load JSON data because "
                    "the request Content-Type was not 'application/json'.")
    try:
        return json.loads(await request.body())
    except ValueError:
        raise Abort(400, "bad_request", "The browser (or proxy) sent a request that this "
                    "server could not understand.") from None


async def quote_shipping(country: str, weight_g: int, currency: str) -> dict[str, Any]:
    for attempt in range(1, 4):
        response = await http().get(
            f"{UPSTREAM_URL}/shipping/quote",
            params={"country": country, "weight_g": weight_g, "currency": currency},
            headers=upstream_headers(), timeout=UPSTREAM_TIMEOUT)
        if response.status_code not in (502, 503, 504) or attempt == 3:
            break
        await asyncio.sleep(0.05 * attempt)
    if response.status_code == 422:
        raise ShippingUnavailable(_json(response)["error"], country=country)
    _raise_for_status(response)
    result: dict[str, Any] = _json(response)
    return result


async def create_order(request: Request) -> Response:
    if not token_is_valid(request):
        return unauthorized()
    order = parse_order(await _request_json(request))
    customer = await db().fetchrow("SELECT id, name, country FROM customers WHERE id = $1",
                                   order.customer_id)
    if customer is None:
        raise InvalidOrder(f"customer {order.customer_id} does not exist")
    ids = [book_id for book_id, _ in order.items]
    books = {b["id"]: b for b in await db().fetch(
        BOOK_SELECT + " WHERE b.id = ANY($1::int[]) ORDER BY b.id", ids)}
    unknown = [book_id for book_id in ids if book_id not in books]
    if unknown:
        raise InvalidOrder(f"unknown book ids: {unknown}")
    response = await http().post(
        f"{UPSTREAM_URL}/pricing/quote",
        json={"currency": order.currency,
              "items": [{"sku": books[b]["isbn"], "qty": q} for b, q in order.items]},
        headers=upstream_headers(), timeout=UPSTREAM_TIMEOUT)
    _raise_for_status(response)
    quote = _json(response)
    weight_g = sum(books[b]["metadata"].get("weight_g", 500) * q for b, q in order.items)
    shipping = await quote_shipping(customer["country"], weight_g, order.currency)
    unit_prices = {line["sku"]: Decimal(line["unit_price"]) for line in quote["lines"]}
    shipping_cost = Decimal(shipping["cost"])
    async with db().acquire() as conn, conn.transaction():
        for book_id, qty in order.items:
            done = await conn.execute(
                "UPDATE books SET stock = stock - $1, updated_at = now() "
                "WHERE id = $2 AND stock >= $1", qty, book_id)
            if done != "UPDATE 1":
                raise InsufficientStock(f"not enough stock for book {book_id}", book_id=book_id)
        order_id = await conn.fetchval(
            "INSERT INTO orders (customer_id, currency, total, shipping_cost, shipping) "
            "VALUES ($1, $2, $3, $4, $5) RETURNING id",
            customer["id"], order.currency, Decimal(quote["subtotal"]) + shipping_cost,
            shipping_cost, {k: shipping[k] for k in ("carrier", "country", "eta_days")})
        await conn.executemany(
            "INSERT INTO order_lines (order_id, book_id, qty, unit_price) VALUES ($1, $2, $3, $4)",
            [(order_id, b, q, unit_prices[books[b]["isbn"]]) for b, q in order.items])
    return jsonify(await get_order(order_id), 201, {"Location": f"/api/orders/{order_id}"})


async def customer_orders(request: Request) -> Response:
    customer_id = request.query_params.get("customer_id")
    if not customer_id:
        raise Abort(400, "bad_request", "customer_id is required")
    since = request.query_params.get("since")
    try:
        since_dt = dt.datetime.fromisoformat(since) if since else None
    except ValueError:
        raise Abort(400, "bad_request", "since must be an ISO 8601 date or datetime") from None
    query = "SELECT id, status, currency, total, created_at FROM orders WHERE customer_id = $1"
    params: list[Any] = [_int_or_500(customer_id)]
    if since_dt is not None:
        params.append(since_dt if since_dt.tzinfo else since_dt.replace(tzinfo=dt.UTC))
        query += f" AND created_at >= ${len(params)}"
    status = request.query_params.get("status")
    if status is not None:
        params.append(status)
        query += f" AND status = ${len(params)}"
    rows = await db().fetch(query + " ORDER BY created_at, id", *params)
    return jsonify({"orders": [
        {"id": r["id"], "status": r["status"], "currency": r["currency"], "total": r["total"],
         "placed_at": r["created_at"].isoformat()} for r in rows]})


async def order(request: Request) -> Response:
    return jsonify(await get_order(request.path_params["order_id"]))


async def cancel_order(request: Request) -> Response:
    if not token_is_valid(request):
        return unauthorized()
    order_id = request.path_params["order_id"]
    async with db().acquire() as conn, conn.transaction():
        status = await conn.fetchval("SELECT status FROM orders WHERE id = $1 FOR UPDATE",
                                     order_id)
        if status is None:
            raise NotFound(f"order {order_id} not found")
        if status != "placed":
            raise OrderNotCancellable(f"order {order_id} is {status}", status=status)
        await conn.execute(
            "UPDATE books SET stock = books.stock + l.qty, updated_at = now() "
            "FROM order_lines l WHERE l.order_id = $1 AND books.id = l.book_id", order_id)
        await conn.execute("UPDATE orders SET status = 'cancelled' WHERE id = $1", order_id)
    return Response(b"", 204, media_type="text/html")


# --- tools -----------------------------------------------------------------------------------


async def isbn(request: Request) -> Response:
    raw = request.query_params.get("isbn")
    if not raw:
        raise Abort(400, "bad_request", "the isbn query parameter is required")
    result = check_isbn(raw)
    return jsonify(result, 200 if result["valid"] else 422)


async def price_simulation(request: Request) -> Response:
    price = arg(request, "price", 12.0, float)
    runs = arg(request, "runs", 2000, int)
    seed = arg(request, "seed", 0, int)
    if not 0 < price <= 1000 or not 1 <= runs <= 200_000:
        raise Abort(400, "bad_request", "price must be in (0, 1000] and runs in [1, 200000]")
    return jsonify(simulate_revenue(price, runs, seed))


# --- admin (every handler checks the token first, like the blueprint's before_request) ----


async def stats(request: Request) -> Response:
    if not token_is_valid(request):
        return unauthorized()
    async with db().acquire() as conn, conn.transaction():
        await conn.execute("SELECT set_config('statement_timeout', $1, true)", STATS_TIMEOUT)
        books = await conn.fetchval("SELECT count(*) FROM books")
        authors = await conn.fetchval("SELECT count(*) FROM authors")
        orders = dict(await conn.fetch(
            "SELECT status, count(*) FROM orders GROUP BY status ORDER BY status"))
        units, value = await conn.fetchrow(
            "SELECT coalesce(sum(stock), 0), coalesce(sum(stock * list_price), 0) FROM books")
    return jsonify({
        "books": books, "authors": authors,
        "orders": {s: orders.get(s, 0) for s in ("placed", "shipped", "cancelled")},
        "stock_units": units, "stock_value": value,
    })


async def create_author(request: Request) -> Response:
    if not token_is_valid(request):
        return unauthorized()
    form = await request.form()
    name = str(form.get("name", "")).strip()
    email = str(form.get("email", "")).strip() or None
    country = str(form.get("country", "")).strip().upper() or None
    if not name:
        raise Abort(400, "bad_request", "name is required")
    if country is not None and len(country) != 2:
        raise Abort(400, "bad_request", "country must be a two-letter code")
    try:
        author_id = await db().fetchval(
            "INSERT INTO authors (name, email, country) VALUES ($1, $2, $3) RETURNING id",
            name, email, country)
    except asyncpg.UniqueViolationError:
        return jsonify({"error": "conflict", "message": f"an author with email {email} exists"},
                       409)
    return redirect(f"/api/books/?author_id={author_id}")


async def reprice(request: Request) -> Response:
    if not token_is_valid(request):
        return unauthorized()
    books = await db().fetch(BOOK_SELECT + " ORDER BY b.id")
    changes = []
    for book in books:
        response = await price_for(book["isbn"], "USD")
        _raise_for_status(response)
        quoted = Decimal(_json(response)["list_price"])
        if quoted != book["list_price"]:
            changes.append({"id": book["id"], "old": book["list_price"], "new": quoted})
    if changes:
        async with db().acquire() as conn, conn.transaction():
            await conn.executemany(
                "UPDATE books SET list_price = $1, updated_at = now() WHERE id = $2",
                [(c["new"], c["id"]) for c in changes])
    return jsonify({"checked": len(books), "updated": len(changes), "changes": changes})


async def diagnostics(request: Request) -> Response:
    if not token_is_valid(request):
        return unauthorized()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "--version", stdout=asyncio.subprocess.PIPE)
    out, _ = await asyncio.wait_for(proc.communicate(), 10)
    timezone = await db().fetchval("SHOW TimeZone")
    return jsonify({"python": out.decode().strip().removeprefix("Python "),
                    "database": {"reachable": True, "timezone": timezone}})


READ = ["GET", "HEAD"]
ROUTES: list[tuple[str, Any, list[str]]] = [
    ("/health", health, READ),
    ("/", index, READ),
    ("/version", version, READ),
    ("/api/books/", list_books, READ),
    ("/api/books/{book_id:int}", book_detail, READ),
    ("/api/books/bestsellers", bestsellers, READ),
    ("/api/books/{book_id:int}/price", book_price, READ),
    ("/api/books/{book_id:int}/availability", book_availability, READ),
    ("/api/books/{book_id:int}/excerpt", book_excerpt, READ),
    ("/api/orders/", create_order, ["POST"]),
    ("/api/orders/", customer_orders, READ),
    ("/api/orders/{order_id:int}", order, READ),
    ("/api/orders/{order_id:int}", cancel_order, ["DELETE"]),
    ("/api/tools/isbn", isbn, READ),
    ("/api/tools/price-simulation", price_simulation, READ),
    ("/admin/stats", stats, READ),
    ("/admin/authors", create_author, ["POST"]),
    ("/admin/reprice", reprice, ["POST"]),
    ("/admin/diagnostics", diagnostics, READ),
]
for path, endpoint, methods in ROUTES:
    app.add_api_route(path, endpoint, methods=methods, include_in_schema=False)
app.add_middleware(RequestIds)
