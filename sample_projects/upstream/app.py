"""The upstream ASGI app: fake external services plus a fault-injection toolbox.

Latency, for every request (added together):
- ``UPSTREAM_DELAY_MS`` (env, read at startup): a process-wide default, e.g. 50 for benchmarks;
- ``?delay_ms=N`` query parameter or ``X-Delay-Ms: N`` header.

Failures, chosen by the caller:
- ``X-Request-Id: flaky<N>-<anything>``: the first N GET/HEAD requests with that id to a given
  path answer 503, later ones succeed (the sample apps propagate request ids, so a test can
  drive their retry logic). ``GET /__upstream/attempts/<request id>`` reports the counts.
- ``X-Request-Id: slow<MS>-<anything>``: every request with that id is delayed by MS.
- SKU prefixes on the per-SKU endpoints: ``GONE-`` 404, ``BOOM-`` 500, ``BAD-`` malformed JSON,
  ``SLOW-`` answers after 3 s, ``NOREV-`` only the reviews endpoints answer 503.
- ``/faults/...``: a status code on demand, a slow response, a redirect, a flaky key, an NDJSON
  stream, malformed JSON, and an echo of the request.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import re
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal, InvalidOperation
from functools import wraps

from starlette.applications import Starlette
from starlette.datastructures import Headers, QueryParams
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from . import data
from .data import InvalidInput

DEFAULT_DELAY_MS = int(os.environ.get("UPSTREAM_DELAY_MS", "0") or 0)
WEBHOOK_SECRET = os.environ.get("UPSTREAM_WEBHOOK_SECRET", "whsec_sample").encode()
SLOW_SKU_SECONDS = 3.0

_DIRECTIVE = re.compile(r"^(?P<kind>flaky|slow)(?P<n>\d+)-")
# request id -> path -> requests seen (only for flaky<N>- ids, so memory stays bounded).
_attempts: defaultdict[str, defaultdict[str, int]] = defaultdict(lambda: defaultdict(int))
_flaky_keys: defaultdict[str, int] = defaultdict(int)


def _as_int(value: str | None) -> int:
    try:
        return max(0, int(value or 0))
    except ValueError:
        return 0


class FaultInjection:
    """Pure ASGI middleware (no BaseHTTPMiddleware, so streaming stays streaming)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        query = QueryParams(scope["query_string"])
        delay_ms = DEFAULT_DELAY_MS + _as_int(query.get("delay_ms"))
        delay_ms += _as_int(headers.get("x-delay-ms"))
        request_id = headers.get("x-request-id", "")
        directive = _DIRECTIVE.match(request_id)
        if directive and directive["kind"] == "slow":
            delay_ms += int(directive["n"])
        if delay_ms:
            await asyncio.sleep(delay_ms / 1000)
        if directive and directive["kind"] == "flaky" and scope["method"] in ("GET", "HEAD"):
            seen = _attempts[request_id]
            seen[scope["path"]] += 1
            if seen[scope["path"]] <= int(directive["n"]):
                body = {"error": "temporarily unavailable", "attempt": seen[scope["path"]]}
                await JSONResponse(body, status_code=503)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def _int_param(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidInput(f"{name} must be an integer") from None
    if not low <= value <= high:
        raise InvalidInput(f"{name} must be between {low} and {high}")
    return value


def _coupon(request: Request) -> str | None:
    # An empty ?coupon= is an unknown coupon (422), not "no coupon".
    return request.query_params.get("coupon")


SkuHandler = Callable[[Request, str], Awaitable[Response]]


def per_sku(service: str) -> Callable[[SkuHandler], Callable[[Request], Awaitable[Response]]]:
    """Reads ``{sku}`` from the path and applies the SKU-prefix faults before the handler."""

    def decorate(handler: SkuHandler) -> Callable[[Request], Awaitable[Response]]:
        @wraps(handler)
        async def endpoint(request: Request) -> Response:
            sku: str = request.path_params["sku"]
            if sku.startswith("SLOW-"):
                await asyncio.sleep(SLOW_SKU_SECONDS)
            elif sku.startswith("GONE-"):
                return _error(404, f"unknown sku {sku!r}")
            elif sku.startswith("BOOM-"):
                return _error(500, "internal error")
            elif sku.startswith("BAD-"):
                return Response(
                    b'{"sku": "' + sku.encode() + b'", "tr', media_type="application/json"
                )
            elif sku.startswith("NOREV-") and service == "reviews":
                return _error(503, "reviews service unavailable")
            return await handler(request, sku)

        return endpoint

    return decorate


async def health(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


@per_sku("catalog")
async def catalog_product(request: Request, sku: str) -> Response:
    return JSONResponse(data.product(sku))


@per_sku("catalog")
async def catalog_description(request: Request, sku: str) -> Response:
    # Deliberately no charset: clients must decide how to decode text/plain.
    return Response(data.description(sku).encode(), headers={"content-type": "text/plain"})


async def catalog_legacy_description(request: Request) -> Response:
    sku = request.path_params["sku"]
    return RedirectResponse(f"/catalog/products/{sku}/description", status_code=301)


@per_sku("pricing")
async def pricing_item(request: Request, sku: str) -> Response:
    currency = request.query_params.get("currency", "USD")
    return JSONResponse(data.price(sku, currency, _coupon(request)))


async def pricing_quote(request: Request) -> Response:
    try:
        payload = await request.json()
    except json.JSONDecodeError:
        return _error(400, "body must be JSON")
    items = payload.get("items") if isinstance(payload, dict) else None
    if not isinstance(items, list) or not items:
        raise InvalidInput("'items' must be a non-empty list")
    currency = payload.get("currency", "USD")
    return JSONResponse(data.quote(items, currency, payload.get("coupon")))


@per_sku("inventory")
async def inventory_item(request: Request, sku: str) -> Response:
    return JSONResponse(data.stock(sku))


@per_sku("reviews")
async def reviews_page(request: Request, sku: str) -> Response:
    page = _int_param(request, "page", 1, 1, 1000)
    limit = _int_param(request, "limit", 3, 1, 50)
    everything = data.reviews(sku)
    start = (page - 1) * limit
    has_more = start + limit < len(everything)
    return JSONResponse(
        {
            "sku": sku,
            "page": page,
            "total": len(everything),
            "reviews": everything[start : start + limit],
            "next": f"/reviews/{sku}?page={page + 1}&limit={limit}" if has_more else None,
        }
    )


@per_sku("reviews")
async def reviews_summary(request: Request, sku: str) -> Response:
    return JSONResponse(data.review_summary(sku))


@per_sku("reviews")
async def reviews_export(request: Request, sku: str) -> Response:
    interval = _int_param(request, "interval_ms", 0, 0, 5000) / 1000

    async def lines() -> AsyncIterator[bytes]:
        for item in data.reviews(sku):
            # ensure_ascii=False: U+2028 and accents travel as raw UTF-8, as many servers do.
            yield (json.dumps(item, ensure_ascii=False) + "\n").encode()
            if interval:
                await asyncio.sleep(interval)

    return StreamingResponse(lines(), media_type="application/x-ndjson")


async def recommendations(request: Request) -> Response:
    customer_id = request.path_params["customer_id"]
    limit = _int_param(request, "limit", 4, 1, 10)
    return JSONResponse(
        {"customer_id": customer_id, "skus": data.recommendations(customer_id, limit)}
    )


async def currency_convert(request: Request) -> Response:
    params = request.query_params
    try:
        amount = Decimal(params.get("amount", ""))
    except InvalidOperation:
        raise InvalidInput("amount must be a decimal number") from None
    return JSONResponse(data.convert(amount, params.get("from", "USD"), params.get("to", "USD")))


async def shipping_quote(request: Request) -> Response:
    country = request.query_params.get("country", "")
    weight_g = _int_param(request, "weight_g", 0, 0, 1_000_000)
    currency = request.query_params.get("currency", "USD")
    return JSONResponse(data.shipping_quote(country, weight_g, currency))


async def fulfilment_order(request: Request) -> Response:
    body = await request.body()
    expected = "sha256=" + hmac.new(WEBHOOK_SECRET, body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(request.headers.get("x-signature", ""), expected):
        return _error(401, "bad signature")
    try:
        order = json.loads(body)
    except json.JSONDecodeError:
        return _error(400, "body must be JSON")
    items = order.get("items", [])
    return JSONResponse(
        {
            "order_ref": "FUL-" + hashlib.sha256(body).hexdigest()[:10].upper(),
            "status": "accepted",
            "customer": order.get("customer", {}).get("name"),
            "units": sum(int(item.get("qty", 0)) for item in items),
        },
        status_code=201,
    )


async def fault_status(request: Request) -> Response:
    code = request.path_params["code"]
    if not 200 <= code <= 599:
        raise InvalidInput("status must be between 200 and 599")
    if code in (204, 304):
        return Response(status_code=code)
    return JSONResponse({"status": code}, status_code=code)


async def fault_slow(request: Request) -> Response:
    ms = _int_param(request, "ms", 1000, 0, 60_000)
    await asyncio.sleep(ms / 1000)
    return JSONResponse({"slept_ms": ms})


async def fault_redirect(request: Request) -> Response:
    code = _int_param(request, "code", 302, 300, 308)
    return RedirectResponse(request.query_params.get("to", "/health"), status_code=code)


async def fault_flaky(request: Request) -> Response:
    key = request.path_params["key"]
    failures = _int_param(request, "failures", 2, 0, 100)
    _flaky_keys[key] += 1
    attempt = _flaky_keys[key]
    if attempt <= failures:
        return JSONResponse({"key": key, "attempt": attempt}, status_code=503)
    return JSONResponse({"key": key, "attempt": attempt, "ok": True})


async def fault_stream(request: Request) -> Response:
    count = _int_param(request, "lines", 5, 0, 10_000)
    interval = _int_param(request, "interval_ms", 0, 0, 5000) / 1000

    async def lines() -> AsyncIterator[bytes]:
        for n in range(count):
            yield json.dumps({"n": n}).encode() + b"\n"
            if interval:
                await asyncio.sleep(interval)

    return StreamingResponse(lines(), media_type="application/x-ndjson")


async def fault_malformed(request: Request) -> Response:
    return Response(b'{"ok": true, "items": [1, 2', media_type="application/json")


async def fault_echo(request: Request) -> Response:
    body = await request.body()
    return JSONResponse(
        {
            "method": request.method,
            "path": request.url.path,
            "query": request.url.query,
            "headers": dict(request.headers),
            "body": body.decode("utf-8", "replace"),
        }
    )


async def attempts(request: Request) -> Response:
    request_id = request.path_params["request_id"]
    return JSONResponse({"request_id": request_id, "attempts": dict(_attempts[request_id])})


async def invalid_input(request: Request, exc: Exception) -> Response:
    return _error(422, str(exc))


routes = [
    Route("/health", health),
    Route("/catalog/products/{sku}", catalog_product),
    Route("/catalog/products/{sku}/description", catalog_description),
    Route("/catalog/items/{sku}/description", catalog_legacy_description),
    Route("/pricing/quote", pricing_quote, methods=["POST"]),
    Route("/pricing/{sku}", pricing_item),
    Route("/inventory/{sku}", inventory_item),
    Route("/reviews/{sku}", reviews_page),
    Route("/reviews/{sku}/summary", reviews_summary),
    Route("/reviews/{sku}/export", reviews_export),
    Route("/recommendations/{customer_id:int}", recommendations),
    Route("/currency/convert", currency_convert),
    Route("/shipping/quote", shipping_quote),
    Route("/fulfilment/orders", fulfilment_order, methods=["POST"]),
    Route("/faults/status/{code:int}", fault_status, methods=["GET", "POST", "PUT", "DELETE"]),
    Route("/faults/slow", fault_slow),
    Route("/faults/redirect", fault_redirect, methods=["GET", "POST"]),
    Route("/faults/flaky/{key}", fault_flaky),
    Route("/faults/stream", fault_stream),
    Route("/faults/malformed", fault_malformed),
    Route("/faults/echo", fault_echo, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
    Route("/__upstream/attempts/{request_id}", attempts),
]

app = Starlette(
    routes=routes,
    middleware=[Middleware(FaultInjection)],
    exception_handlers={InvalidInput: invalid_input},
)
