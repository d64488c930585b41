# ruff: noqa
from __future__ import annotations

from fastapi import FastAPI, HTTPException

from shop.services import catalog, excerpts
from shop.services.pricing import PricingClient

app = FastAPI()
pricing = PricingClient("http://prices", 2.0)


@app.get("/books/{book_id}")
async def book(book_id: int):
    found = await catalog.get_book(app.state.pool, book_id)
    if found is None:
        raise HTTPException(404)
    found["price"] = await pricing.price_for(found["isbn"], currency="EUR")
    found["excerpt"] = await excerpts.read_excerpt("excerpts", found["isbn"])
    return found
