"""The shared client's transport: httpcore (httpx's own) or aiohttp under the httpx API.

Measured on this project's 2-core machine (``benchmarks/http_client_overhead.py``), httpx's
own connection pool (httpcore 1.0) costs about 1 ms of CPU per request at 10 concurrent
requests and about 3 ms at 100, because every request scans every pooled connection and
retries when a connection it was assigned is taken; aiohttp costs about 0.1 ms. Under the
migration-gain load that pool, not the application, becomes the bottleneck. So the shared
client can send through aiohttp (the ``httpx-aiohttp`` transport) while migrated code keeps
the httpx API, exceptions and semantics the codemods were written for. (The
``httpx-aiohttp`` package does the same job but re-quotes URLs and reports connection refused
as ``ConnectTimeout``, both behaviour changes here.)

What the transport guarantees:

- **Exceptions** map as httpcore raises them (semantics.md §1a relies on it): connection
  refused is ``httpx.ConnectError``, a server
  that hangs up is ``httpx.RemoteProtocolError``, a read timeout ``httpx.ReadTimeout``.
- **Cookies** are httpx's business only: aiohttp's own jar is a ``DummyCookieJar``, otherwise
  a ``Set-Cookie`` would be sent again on later calls even where httpx would not.
- **Connections** are not capped (``limit=0``), as with requests, which opens a new connection
  whenever its pool is busy; httpx's default cap of 100 would queue calls under load.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx

# aiohttp exception class name → httpx exception, most specific first.
_AIOHTTP_TO_HTTPX: tuple[tuple[str, type[httpx.TransportError]], ...] = (
    ("ConnectionTimeoutError", httpx.ConnectTimeout),
    ("SocketTimeoutError", httpx.ReadTimeout),
    ("ServerTimeoutError", httpx.ReadTimeout),
    ("ClientProxyConnectionError", httpx.ProxyError),
    ("ClientHttpProxyError", httpx.ProxyError),
    ("ClientConnectorError", httpx.ConnectError),
    ("ServerDisconnectedError", httpx.RemoteProtocolError),
    ("ClientPayloadError", httpx.ReadError),
    ("ClientResponseError", httpx.RemoteProtocolError),
    ("InvalidUrlClientError", httpx.UnsupportedProtocol),
    ("NonHttpUrlClientError", httpx.UnsupportedProtocol),
    ("ClientOSError", httpx.ReadError),
    ("ClientConnectionError", httpx.NetworkError),
)


def _httpx_error(error: BaseException) -> type[httpx.TransportError] | None:
    import aiohttp

    if isinstance(error, TimeoutError) and not isinstance(error, aiohttp.ClientError):
        return httpx.PoolTimeout  # aiohttp's `connect` timeout: waiting for a connection
    for name, target in _AIOHTTP_TO_HTTPX:
        cls = getattr(aiohttp, name, None)
        if cls is not None and isinstance(error, cls):
            return target
    return None


@contextlib.contextmanager
def _mapped(request: httpx.Request) -> Iterator[None]:
    try:
        yield
    except Exception as error:
        target = _httpx_error(error)
        if target is None:
            raise
        raise target(str(error), request=request) from error


class _Stream(httpx.AsyncByteStream):
    def __init__(self, response: Any, request: httpx.Request) -> None:
        self._response = response
        self._request = request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with _mapped(self._request):
            async for chunk in self._response.content.iter_chunked(65536):
                yield chunk

    async def aclose(self) -> None:
        self._response.release()


class AiohttpTransport(httpx.AsyncBaseTransport):
    """An httpx transport that sends through one aiohttp session (created on first use, in
    the running loop), with httpcore's exception types and no connection cap.

    httpx keeps doing everything above the wire (redirects, cookies, auth, decoding, event
    hooks); aiohttp only sends the request httpx built, byte for byte: the URL is passed as
    already encoded (aiohttp would otherwise re-quote it and turn ``%2F`` into ``/``) and
    aiohttp adds no header of its own.
    """

    def __init__(self, *, keepalive_expiry: float = 5.0) -> None:
        self._keepalive = keepalive_expiry
        self._session: Any = None

    def _open(self) -> Any:
        try:
            import aiohttp
        except ImportError as error:
            raise ImportError("ASYNCIFY_HTTP_TRANSPORT=aiohttp needs aiohttp: "
                              "pip install 'asyncify[aiohttp]'") from error

        if self._session is None:
            connector = aiohttp.TCPConnector(limit=0, keepalive_timeout=self._keepalive)
            self._session = aiohttp.ClientSession(
                connector=connector, cookie_jar=aiohttp.DummyCookieJar(),
                skip_auto_headers=("User-Agent", "Accept", "Accept-Encoding"),
                auto_decompress=False)
        return self._session

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        import aiohttp
        from yarl import URL

        timeout = request.extensions.get("timeout", {})
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw]
        try:
            content: Any = request.content or None
        except httpx.RequestNotRead:  # a streamed body: aiohttp does the chunked encoding
            content = request.stream
            headers = [(k, v) for k, v in headers if k.lower() != "transfer-encoding"]
        with _mapped(request):
            response = await self._open().request(
                request.method, URL(str(request.url), encoded=True),
                headers=headers, data=content,
                allow_redirects=False, compress=None,
                timeout=aiohttp.ClientTimeout(
                    connect=timeout.get("pool"), sock_connect=timeout.get("connect"),
                    sock_read=timeout.get("read")))
        extensions: dict[str, Any] = {"http_version": b"HTTP/1.1"}
        if response.reason:
            extensions["reason_phrase"] = response.reason.encode("latin-1")
        return httpx.Response(status_code=response.status, headers=response.raw_headers,
                              stream=_Stream(response, request), request=request,
                              extensions=extensions)

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def new_transport(
    name: str | None = None, *, verify: Any = True, cert: Any = None, trust_env: bool = True,
    keepalive: int | None = None,
) -> httpx.AsyncBaseTransport:
    """A transport as configured (``name`` as for :func:`new_client`). TLS settings other
    than the defaults (``verify``, ``cert``) always go through httpcore; ``keepalive`` bounds
    the idle connections kept (connections themselves are not capped, as with requests).

    :raises ValueError: an unknown transport name.
    """
    if _configured(name) == "aiohttp" and verify is True and cert is None:
        return AiohttpTransport()
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=keepalive or 20)
    return httpx.AsyncHTTPTransport(verify=verify, cert=cert, trust_env=trust_env,
                                    limits=limits)


def new_client(transport: str | None = None, **kwargs: Any) -> httpx.AsyncClient:
    """A shared client as configured: ``transport`` is ``"httpcore"`` (httpx's own pool) or
    ``"aiohttp"``; ``None`` reads ``ASYNCIFY_HTTP_TRANSPORT`` (default ``httpcore``).

    :raises ValueError: an unknown transport name.
    """
    if _configured(transport) == "httpcore":
        return httpx.AsyncClient(**kwargs)  # httpx's own pool and limits
    return httpx.AsyncClient(transport=AiohttpTransport(), **kwargs)


def _configured(name: str | None) -> str:
    """``name``, else ``ASYNCIFY_HTTP_TRANSPORT`` (default ``httpcore``), checked.

    :raises ValueError: an unknown transport name.
    """
    import os

    name = name or os.environ.get("ASYNCIFY_HTTP_TRANSPORT", "httpcore")
    if name not in ("httpcore", "aiohttp"):
        raise ValueError(f"ASYNCIFY_HTTP_TRANSPORT={name!r} is not a transport; use "
                         "'httpcore' or 'aiohttp'")
    return name
