"""The gateway, hand-written on FastAPI + httpx: the same endpoints and the same response
bytes as ``sample_projects/gateway``, with nothing but what that takes.

The practical ceiling of the migration-gain benchmark. Like a migrated app it imports the
legacy package's pure cart validation, so ``sample_projects/gateway`` must be on
``PYTHONPATH``. Settings: ``UPSTREAM_URL``, ``UPSTREAM_TIMEOUT``, ``UPSTREAM_API_KEY``,
``UPSTREAM_RETRIES``, ``FULFILMENT_SECRET``.

    asgi:gateway_fastapi:app        (uvicorn, e.g. --workers 2)
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import os
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import httpx
from fastapi import FastAPI, Request
from flaskish import (
    INTERNAL,
    NOT_ALLOWED,
    NOT_FOUND,
    RequestIds,
    arg,
    error,
    jsonify,
    upstream_headers,
)
from gateway.cart import CartError, parse_cart
from starlette.exceptions import HTTPException
from starlette.responses import Response, StreamingResponse

ENV = os.environ
UPSTREAM_URL = ENV.get("UPSTREAM_URL", "http://127.0.0.1:8801").rstrip("/")
API_KEY = ENV.get("UPSTREAM_API_KEY", "gateway-dev")
READ_TIMEOUT = float(ENV.get("UPSTREAM_TIMEOUT", "2.0"))
RETRIES = int(ENV.get("UPSTREAM_RETRIES", "3"))
SECRET = ENV.get("FULFILMENT_SECRET", "whsec_sample")
SESSION_TIMEOUT = httpx.Timeout(READ_TIMEOUT, connect=1.0)
RETRY_STATUSES = frozenset({502, 503, 504})
BACKOFF = 0.02


class Abort(Exception):
    def __init__(self, status: int, name: str, message: str) -> None:
        self.status, self.name, self.message = status, name, message


class UpstreamStatus(Exception):
    def __init__(self, response: httpx.Response) -> None:
        self.response = response


class RetriesExhausted(Exception):
    pass


class BadPayload(Exception):
    pass


state: dict[str, httpx.AsyncClient] = {}


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
    async with _client(1000) as client:
        state["http"] = client
        yield


app = FastAPI(lifespan=lifespan, openapi_url=None, docs_url=None, redoc_url=None,
              redirect_slashes=False)


def http() -> httpx.AsyncClient:
    return state["http"]


# --- errors ----------------------------------------------------------------------------------


def _upstream_message(response: httpx.Response) -> str:
    try:
        return str(json.loads(response.content)["error"])
    except (KeyError, TypeError, ValueError):
        return "upstream request failed"


@app.exception_handler(httpx.TimeoutException)
async def _timeout(request: Request, exc: Exception) -> Response:
    if isinstance(exc, httpx.ConnectTimeout):  # requests' ConnectTimeout is a ConnectionError
        return await _unreachable(request, exc)
    return error(504, "upstream_timeout", "upstream did not answer in time")


@app.exception_handler(httpx.TransportError)
async def _unreachable(request: Request, exc: Exception) -> Response:
    return error(502, "upstream_unreachable", "cannot reach upstream")


@app.exception_handler(RetriesExhausted)
async def _unavailable(request: Request, exc: Exception) -> Response:
    return error(503, "upstream_unavailable", "upstream kept failing")


@app.exception_handler(UpstreamStatus)
async def _status(request: Request, exc: UpstreamStatus) -> Response:
    status = exc.response.status_code
    if status in (404, 422):
        name = "not_found" if status == 404 else "invalid_request"
        return error(status, name, _upstream_message(exc.response))
    return jsonify({"error": "upstream_error", "upstream_status": status}, 502)


@app.exception_handler(BadPayload)
async def _garbage(request: Request, exc: Exception) -> Response:
    return error(502, "bad_upstream_payload", "upstream sent invalid JSON")


@app.exception_handler(CartError)
async def _cart(request: Request, exc: CartError) -> Response:
    return jsonify({"valid": False, "errors": exc.problems}, 422)


@app.exception_handler(Abort)
async def _abort(request: Request, exc: Abort) -> Response:
    return error(exc.status, exc.name, exc.message)


@app.exception_handler(HTTPException)
async def _routing(request: Request, exc: HTTPException) -> Response:
    if exc.status_code == 405:
        return error(405, "method_not_allowed", NOT_ALLOWED)
    return error(404, "not_found", NOT_FOUND)


@app.exception_handler(Exception)
async def _internal(request: Request, exc: Exception) -> Response:
    return error(500, "internal_server_error", INTERNAL)


# --- the upstream session: api_key on every call, GET retries, (connect, read) timeouts ----


def _session_url(path: str, params: dict[str, Any]) -> str:
    # requests appends session params to a link's own query string (httpx would replace it).
    query = httpx.QueryParams({"api_key": API_KEY, **params})
    return UPSTREAM_URL + path + ("&" if "?" in path else "?") + str(query)


async def session_get(path: str, *, follow: bool = False, **params: Any) -> httpx.Response:
    url = _session_url(path, params)
    for attempt in range(RETRIES + 1):
        if attempt > 1:
            await asyncio.sleep(BACKOFF * 2 ** (attempt - 1))
        try:
            response = await http().get(url, headers=upstream_headers(),
                                        timeout=SESSION_TIMEOUT, follow_redirects=follow)
        except (httpx.ConnectError, httpx.ConnectTimeout):
            if attempt == RETRIES:
                raise
            continue
        if response.status_code not in RETRY_STATUSES:
            return response
    raise RetriesExhausted


def _check(response: httpx.Response) -> httpx.Response:
    if response.status_code >= 400:
        raise UpstreamStatus(response)
    return response


def _json(response: httpx.Response) -> Any:
    try:
        return json.loads(response.content)
    except ValueError:
        raise BadPayload from None


async def get_json(path: str, **params: Any) -> Any:
    return _json(_check(await session_get(path, **params)))


async def post_json(path: str, payload: Any) -> Any:
    response = await http().post(_session_url(path, {}), json=payload,
                                 headers=upstream_headers(), timeout=SESSION_TIMEOUT)
    return _json(_check(response))


# --- endpoints -------------------------------------------------------------------------------


async def healthz(request: Request) -> Response:
    return jsonify({"status": "ok", "service": "gateway"})


async def review_summary(sku: str) -> dict[str, Any] | None:
    try:
        summary: dict[str, Any] = await get_json(f"/reviews/{sku}/summary")
    except (httpx.HTTPError, UpstreamStatus, RetriesExhausted, BadPayload):
        return None
    return summary


async def product_page(request: Request) -> Response:
    sku = request.path_params["sku"]
    currency = request.query_params.get("currency", "USD")
    product = await get_json(f"/catalog/products/{sku}")
    price = await get_json(f"/pricing/{sku}", currency=currency)
    stock = await get_json(f"/inventory/{sku}")
    return jsonify({
        "sku": product["sku"], "title": product["title"], "category": product["category"],
        "price": {"amount": price["price"], "currency": price["currency"]},
        "available": stock["available"], "in_stock": stock["available"] > 0,
        "reviews": await review_summary(sku),
    })


async def product_description(request: Request) -> Response:
    sku = request.path_params["sku"]
    response = _check(await session_get(f"/catalog/items/{sku}/description", follow=True))
    return Response(response.content.decode("utf-8", errors="replace"),
                    media_type="text/plain")


async def product_reviews(request: Request) -> Response:
    sku = request.path_params["sku"]
    min_rating = arg(request, "min_rating", 1, int)
    reviews: list[dict[str, Any]] = []
    next_page: str | None = f"/reviews/{sku}?limit=3"
    pages = 0
    while next_page and pages < 10:
        page = await get_json(next_page)
        reviews.extend(r for r in page["reviews"] if r["rating"] >= min_rating)
        next_page = page["next"]
        pages += 1
    return jsonify({"sku": sku, "pages": pages, "count": len(reviews), "reviews": reviews})


async def product_reviews_stream(request: Request) -> Response:
    sku = request.path_params["sku"]
    min_rating = arg(request, "min_rating", 1, int)
    upstream = http().build_request("GET", _session_url(f"/reviews/{sku}/export", {}),
                                    headers=upstream_headers(), timeout=SESSION_TIMEOUT)
    export = await http().send(upstream, stream=True)
    if export.status_code >= 400:
        await export.aread()
        await export.aclose()
        raise UpstreamStatus(export)

    async def generate() -> AsyncIterator[bytes]:
        buffer = b""
        try:
            async for chunk in export.aiter_bytes():
                buffer += chunk
                *lines, buffer = buffer.split(b"\n")
                for line in lines:
                    out = _review_line(line.rstrip(b"\r"), sku, min_rating)
                    if out:
                        yield out
            if buffer:
                out = _review_line(buffer, sku, min_rating)
                if out:
                    yield out
        finally:
            await export.aclose()

    return StreamingResponse(generate(), media_type="application/x-ndjson")


def _review_line(line: bytes, sku: str, min_rating: int) -> bytes | None:
    if not line:
        return None
    review = json.loads(line.decode("utf-8"))
    if review["rating"] < min_rating:
        return None
    out = {"sku": sku, "id": review["id"], "rating": review["rating"], "text": review["text"]}
    return (json.dumps(out) + "\n").encode()


async def _silent_json(request: Request) -> Any:
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        return None
    try:
        return json.loads(await request.body())
    except ValueError:
        return None


async def validate_cart(request: Request) -> Response:
    cart = parse_cart(await _silent_json(request))
    return jsonify({"valid": True, "currency": cart.currency, "items": cart.as_lines(),
                    "units": cart.units})


async def checkout(request: Request) -> Response:
    payload = await _silent_json(request) or {}
    cart = parse_cart(payload)
    customer = payload.get("customer") or {}
    country = customer.get("country")
    if not customer.get("name") or not country:
        raise Abort(400, "bad_request", "customer.name and customer.country are required")
    quote = await post_json("/pricing/quote",
                            {"currency": cart.currency, "items": cart.as_lines()})
    weight_g = 0
    for sku, qty in cart.items:
        weight_g += (await get_json(f"/catalog/products/{sku}"))["weight_g"] * qty
    shipping = await get_json("/shipping/quote", country=country, weight_g=weight_g,
                              currency=cart.currency)
    total = Decimal(quote["subtotal"]) + Decimal(shipping["cost"])
    order = {
        "customer": {"name": customer["name"], "country": country},
        "items": cart.as_lines(), "currency": cart.currency, "subtotal": quote["subtotal"],
        "shipping": shipping["cost"], "total": str(total),
    }
    body = json.dumps(order).encode()  # the exact bytes the HMAC covers
    signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    response = await http().post(
        UPSTREAM_URL + "/fulfilment/orders", content=body,
        headers={"Content-Type": "application/json", "X-Signature": signature,
                 **upstream_headers()}, timeout=READ_TIMEOUT)
    confirmation = _json(_check(response))
    return jsonify({
        "order_ref": confirmation["order_ref"], "status": confirmation["status"],
        "currency": cart.currency, "subtotal": quote["subtotal"],
        "shipping": {"carrier": shipping["carrier"], "cost": shipping["cost"],
                     "eta_days": shipping["eta_days"]},
        "total": total,
    }, 201)


async def recommendations(request: Request) -> Response:
    customer_id = request.path_params["customer_id"]
    limit = arg(request, "limit", 3, int)
    skus = (await get_json(f"/recommendations/{customer_id}", limit=limit))["skus"]
    items = []
    for sku in skus:
        product = await get_json(f"/catalog/products/{sku}")
        items.append({"sku": sku, "title": product["title"]})
    return jsonify({"customer_id": customer_id, "items": items})


async def convert_currency(request: Request) -> Response:
    args = request.query_params
    params = {"from": args.get("from", "USD"), "to": args.get("to", "EUR")}
    if args.get("amount") is not None:
        params = {"amount": args["amount"], **params}
    response = await http().get(UPSTREAM_URL + "/currency/convert", params=params,
                                headers=upstream_headers(), timeout=READ_TIMEOUT)
    if response.status_code >= 400:
        if response.status_code == 422:
            return error(422, "invalid_request", _json(response)["error"])
        raise Abort(502, "bad_gateway", "currency service failed")
    data = _json(response)
    return jsonify({"amount": data["amount"], "source": data["from"], "target": data["to"],
                    "rate": data["rate"], "converted": data["result"]})


async def shipping_estimate(request: Request) -> Response:
    country = request.query_params.get("country", "")
    weight_g = arg(request, "weight_g", 500, int)
    return jsonify(await get_json("/shipping/quote", country=country.upper(), weight_g=weight_g))


READ = ["GET", "HEAD"]
ROUTES: list[tuple[str, Any, list[str]]] = [
    ("/healthz", healthz, READ),
    ("/api/products/{sku}", product_page, READ),
    ("/api/products/{sku}/description", product_description, READ),
    ("/api/products/{sku}/reviews", product_reviews, READ),
    ("/api/products/{sku}/reviews/stream", product_reviews_stream, READ),
    ("/api/cart/validate", validate_cart, ["POST"]),
    ("/api/checkout", checkout, ["POST"]),
    ("/api/recommendations/{customer_id:int}", recommendations, READ),
    ("/api/currency/convert", convert_currency, READ),
    ("/api/shipping/estimate", shipping_estimate, READ),
]
for path, endpoint, methods in ROUTES:
    app.add_api_route(path, endpoint, methods=methods, include_in_schema=False)
app.add_middleware(RequestIds)
