"""``combine(..., inline_hooks=...)``: the legacy request hooks run on the event loop only when
every hook the legacy app has registered is one ``apply`` found free of I/O; otherwise (a hook
it did not see, e.g. an extension's) they stay in a worker thread. Either way they see the
same request and change the response the same way."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import httpx
from fastapi import APIRouter
from flask import Flask, g, request

from asyncify.compat import combine

threads: dict[str, int] = {}


def tag_request() -> None:
    threads["before"] = threading.get_ident()
    g.tag = request.headers.get("X-Tag", "none")


def echo_tag(response: Any) -> Any:
    threads["after"] = threading.get_ident()
    response.headers["X-Tag"] = g.tag
    return response


def extension_hook() -> None:  # registered by "an extension": not in inline_hooks
    threads["extension"] = threading.get_ident()


def legacy_app(with_extension: bool) -> Flask:
    app = Flask(__name__)
    app.before_request(tag_request)
    app.after_request(echo_tag)
    if with_extension:
        app.before_request(extension_hook)
    return app


router = APIRouter()


@router.get("/tagged")
async def tagged() -> dict[str, Any]:
    threads["view"] = threading.get_ident()
    return {"tag": g.tag}


async def _get(app: Any) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://shop.test") as client:
        return await client.get("/tagged", headers={"X-Tag": "t1"})


HOOKS = [f"{__name__}.tag_request", f"{__name__}.echo_tag"]


def test_hooks_apply_found_pure_run_on_the_event_loop() -> None:
    threads.clear()
    response = asyncio.run(_get(combine(legacy_app(False), [(router, "")], inline_hooks=HOOKS)))
    assert response.json() == {"tag": "t1"} and response.headers["x-tag"] == "t1"
    assert threads["before"] == threads["after"] == threads["view"]


def test_a_hook_apply_did_not_see_keeps_them_in_a_worker_thread() -> None:
    threads.clear()
    response = asyncio.run(_get(combine(legacy_app(True), [(router, "")], inline_hooks=HOOKS)))
    assert response.json() == {"tag": "t1"} and response.headers["x-tag"] == "t1"
    assert threads["before"] != threads["view"] and threads["extension"] != threads["view"]


def test_without_inline_hooks_they_run_in_a_worker_thread() -> None:
    threads.clear()
    response = asyncio.run(_get(combine(legacy_app(False), [(router, "")])))
    assert response.headers["x-tag"] == "t1"
    assert threads["before"] != threads["view"]
