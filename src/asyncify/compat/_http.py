"""Small runtime helpers that migrated code calls to keep the legacy behaviour exactly.

The requests → httpx rewrite emits calls to these where httpx differs from requests in a way
no keyword argument can express (semantics.md §1): a shared client per event loop instead of
requests' module-level functions, and requests' rules for ``params``/``data`` and
``headers`` values.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Iterable, Mapping
from typing import Any

import httpx

from ._transport import new_client

_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient] = (
    weakref.WeakKeyDictionary()
)


def http_client() -> httpx.AsyncClient:
    """The shared ``httpx.AsyncClient`` of the running event loop.

    A client is bound to the loop that first used it, so there is one per loop: the one the
    app's lifespan registered with :func:`set_http_client`, or one created on first use
    (connection pooling as with a ``requests.Session``; no per-call client, which costs a TLS
    context each time). A created client sends through the transport named by
    ``ASYNCIFY_HTTP_TRANSPORT`` (:func:`asyncify.compat.new_client`).

    :raises RuntimeError: called outside a running event loop.
    """
    loop = asyncio.get_running_loop()
    client = _clients.get(loop)
    if client is None or client.is_closed:
        client = new_client()
        _clients[loop] = client
    return client


def set_http_client(client: httpx.AsyncClient) -> None:
    """Make ``client`` the running loop's shared client (call it from the app's lifespan,
    and close the client there on shutdown)."""
    _clients[asyncio.get_running_loop()] = client


async def close_http_client() -> None:
    """Close the running loop's shared client, if it has one (from the app's lifespan
    shutdown); a later :func:`http_client` call makes a new one."""
    client = _clients.pop(asyncio.get_running_loop(), None)
    if client is not None and not client.is_closed:
        await client.aclose()


def requests_params(values: Any) -> Any:
    """``params``/``data`` as requests would send them: keys whose value is ``None`` are
    dropped and ``True``/``False`` are sent as ``True``/``False`` (httpx sends ``a=`` and
    ``true``). Lists of values and lists of pairs are handled the same way; strings and bytes
    pass through."""
    if values is None or isinstance(values, str | bytes):
        return values
    pairs: Iterable[tuple[Any, Any]] = values.items() if isinstance(values, Mapping) else values
    cleaned: dict[Any, list[Any]] = {}
    for key, value in pairs:
        items = value if isinstance(value, list | tuple) else [value]
        for item in items:
            if item is None:
                continue
            cleaned.setdefault(key, []).append(str(item) if isinstance(item, bool) else item)
    return {k: v[0] if len(v) == 1 else v for k, v in cleaned.items()}


def requests_headers(values: Any) -> Any:
    """``headers`` as requests would send them: a header whose value is ``None`` is not
    sent (requests drops it; httpx raises ``TypeError``). A mapping becomes a dict, a list
    of pairs stays a list; ``None`` passes through."""
    if values is None:
        return None
    if isinstance(values, Mapping):
        return {key: value for key, value in values.items() if value is not None}
    return [(key, value) for key, value in values if value is not None]
