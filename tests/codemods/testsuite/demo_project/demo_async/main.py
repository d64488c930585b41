"""The same service in FastAPI with httpx (the migrated side)."""

from typing import Any

from fastapi import FastAPI, Form, Request
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse

from asyncify.compat import http_client

UPSTREAM = "http://up.test"
app = FastAPI()


@app.get("/rate")
async def rate(currency: str = "EUR") -> Any:
    r = await http_client().get(f"{UPSTREAM}/rates/{currency}", timeout=2)
    if r.status_code == 404:
        return JSONResponse({"error": "unknown currency"}, status_code=404)
    return {"currency": currency, "rate": r.json()["rate"]}


@app.post("/orders")
async def order(sku: str = Form()) -> Any:
    r = await http_client().post(f"{UPSTREAM}/orders", json={"sku": sku}, timeout=2)
    return JSONResponse(r.json(), status_code=r.status_code)


@app.post("/echo")
async def echo(request: Request) -> Any:
    return {"got": await request.json(), "agent": request.headers.get("X-Agent")}


@app.get("/old")
async def old() -> Any:
    return RedirectResponse("/rate", status_code=302)


@app.get("/text")
async def text() -> Any:
    return PlainTextResponse("hello")
