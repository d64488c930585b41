"""asyncify.bridge: run sync and async code side by side while a service migrates.

Sync → async (await blocking code, on a bounded, named thread pool — a *lane*)::

    rows = await run_sync(legacy_query, user_id)
    fetch = to_async(requests.get, lane="http", timeout=5.0)

Async → sync (a legacy view calls new async code, on the application's own loop)::

    user = run_async(load_user, user_id)          # uses the asyncpg pool of the FastAPI loop

Watching the loop::

    async with home_loop(monitor=LoopMonitor(threshold=0.1)):   # in the FastAPI lifespan
        ...

See docs/bridge.md.
"""

from __future__ import annotations

from asyncify.bridge._errors import (
    BlockingCallError,
    BridgeClosedError,
    BridgeError,
    BridgeTimeoutError,
    LaneFullError,
    ReentryError,
)
from asyncify.bridge._forbid import forbid_blocking
from asyncify.bridge._integration import (
    aclose,
    bridge_flask_async_views,
    home_loop,
    lifespan,
    mount_wsgi,
    shutdown,
)
from asyncify.bridge._lanes import Lane, LaneStats, configure_lane, get_lane, lane_stats
from asyncify.bridge._loops import capture_home_loop, release_home_loop
from asyncify.bridge._monitor import BlockEvent, LoopLagStats, LoopMonitor
from asyncify.bridge._to_async import check_cancelled, run_sync, to_async
from asyncify.bridge._to_sync import run_async, to_sync

__all__ = [
    "BlockEvent",
    "BlockingCallError",
    "BridgeClosedError",
    "BridgeError",
    "BridgeTimeoutError",
    "Lane",
    "LaneFullError",
    "LaneStats",
    "LoopLagStats",
    "LoopMonitor",
    "ReentryError",
    "aclose",
    "bridge_flask_async_views",
    "capture_home_loop",
    "check_cancelled",
    "configure_lane",
    "forbid_blocking",
    "get_lane",
    "home_loop",
    "lane_stats",
    "lifespan",
    "mount_wsgi",
    "release_home_loop",
    "run_async",
    "run_sync",
    "shutdown",
    "to_async",
    "to_sync",
]
