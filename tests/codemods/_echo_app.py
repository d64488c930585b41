"""A tiny upstream for the requests-vs-httpx differential tests (served by uvicorn)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import (
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    StreamingResponse,
)
from starlette.routing import Route


async def echo(request: Request) -> JSONResponse:
    body = (await request.body()).decode()
    return JSONResponse({"method": request.method, "query": request.url.query, "body": body,
                         "content_type": request.headers.get("content-type", ""),
                         "x_headers": {k: v for k, v in request.headers.items()
                                       if k.startswith("x-")}})


async def redirect(request: Request) -> RedirectResponse:
    return RedirectResponse("/target", status_code=302)


async def target(request: Request) -> PlainTextResponse:
    return PlainTextResponse(f"landed by {request.method}")


async def status(request: Request) -> PlainTextResponse:
    return PlainTextResponse("status", status_code=int(request.path_params["code"]))


async def slow(request: Request) -> PlainTextResponse:
    await asyncio.sleep(float(request.query_params.get("seconds", "0.5")))
    return PlainTextResponse("slow")


async def ndjson(request: Request) -> StreamingResponse:
    async def lines() -> AsyncIterator[bytes]:
        for n in range(int(request.query_params.get("lines", "5"))):
            yield (json.dumps({"n": n, "text": "caf\u00e9"}) + "\n").encode()
            await asyncio.sleep(0)

    return StreamingResponse(lines(), media_type="application/x-ndjson")


app = Starlette(routes=[
    Route("/echo", echo, methods=["GET", "POST", "PUT", "DELETE", "PATCH"]),
    Route("/redirect", redirect, methods=["GET", "HEAD", "POST"]),
    Route("/target", target, methods=["GET", "HEAD", "POST"]),
    Route("/status/{code:int}", status),
    Route("/slow", slow),
    Route("/ndjson", ndjson),
])
