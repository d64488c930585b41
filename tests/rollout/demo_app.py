"""A small purpose-written legacy Flask app and its migrated FastAPI twin, combined with the
rollout router. Served by uvicorn in the acceptance tests (``demo_app:create()``), built
in-process by the others (:func:`build`).

Both variants answer ``GET /items/<id>`` identically; ``GET /divergent/<id>`` differs on
purpose. The async variant misbehaves on demand: the file ``$DEMO_DIR/fault`` holds ``500``
(fail) or ``slow`` (5x slower). Every call of an async handler is logged to
``$DEMO_DIR/async-calls`` so a test can tell whether a shadow run happened.
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Response
from flask import Flask, jsonify

from asyncify.compat import combine
from asyncify.rollout import Guardrail, Rollout, Shadow, open_store

DELAY = 0.004  # both variants "do I/O" for this long


def _dir() -> Path:
    return Path(os.environ["DEMO_DIR"])


def legacy_item(item_id: int) -> Any:
    time.sleep(DELAY)
    return jsonify(id=item_id, name=f"item {item_id}")


def legacy_divergent(item_id: int) -> Any:
    return jsonify(id=item_id, price=10)


def legacy_create() -> Any:
    return jsonify(created=True), 201


def legacy_other() -> Any:
    return jsonify(legacy_only=True)


def _tag(response: Any) -> Any:
    response.headers.setdefault("X-Served-By", "legacy")
    response.headers["X-Worker"] = str(os.getpid())
    return response


def legacy_app() -> Flask:
    """The legacy app; its endpoint ids (flag keys) are ``demo_app.legacy_item`` etc."""
    legacy = Flask("demo")
    legacy.add_url_rule("/items/<int:item_id>", view_func=legacy_item, methods=["GET"])
    legacy.add_url_rule("/divergent/<int:item_id>", view_func=legacy_divergent,
                        methods=["GET"])
    legacy.add_url_rule("/items", view_func=legacy_create, methods=["POST"])
    legacy.add_url_rule("/other", view_func=legacy_other, methods=["GET"])
    legacy.after_request(_tag)
    return legacy


def _log_call(name: str) -> None:
    with open(_dir() / "async-calls", "a") as out:
        out.write(name + "\n")


def _fault() -> str:
    try:
        return (_dir() / "fault").read_text().strip()
    except FileNotFoundError:
        return ""


router = APIRouter()


@router.get("/items/{item_id}")
async def item(item_id: int, response: Response) -> Any:
    _log_call("item")
    fault = _fault()
    if fault == "500":
        return Response('{"error": "boom"}', status_code=500, media_type="application/json",
                        headers={"X-Served-By": "async"})
    await asyncio.sleep(DELAY * (5 if fault == "slow" else 1))
    response.headers["X-Served-By"] = "async"
    return {"id": item_id, "name": f"item {item_id}"}


@router.get("/divergent/{item_id}")
async def divergent(item_id: int, response: Response) -> Any:
    _log_call("divergent")
    response.headers["X-Served-By"] = "async"
    return {"id": item_id, "price": 11}  # the deliberate bug a shadow run must catch


@router.post("/items", status_code=201)
async def create_item(response: Response) -> Any:
    _log_call("create")
    response.headers["X-Served-By"] = "async"
    return {"created": True}


def build(rollout: Rollout | None) -> Any:
    return combine(legacy_app(), [(router, "")], rollout=rollout)


def create() -> Any:
    """The app uvicorn serves: flags from ``ASYNCIFY_FLAGS``; guardrail window and minimum
    from ``DEMO_WINDOW`` / ``DEMO_MIN_REQUESTS``."""
    guard = Guardrail(window=float(os.environ.get("DEMO_WINDOW", "10")),
                      min_requests=int(os.environ.get("DEMO_MIN_REQUESTS", "20")),
                      check_interval=0.1)
    options: dict[str, Any] = {}
    if os.environ.get("DEMO_MAX_STALE"):
        options["max_stale"] = float(os.environ["DEMO_MAX_STALE"])
        options["last_good_path"] = _dir() / f"last-good-{os.getpid()}.json"
    store = open_store(os.environ["ASYNCIFY_FLAGS"],
                       key=os.environ.get("ASYNCIFY_FLAGS_KEY", "asyncify:flags"), **options)
    return build(Rollout(store=store, guardrail=guard, shadow=Shadow(ignore_paths=()),
                         stats_interval=0.2))
