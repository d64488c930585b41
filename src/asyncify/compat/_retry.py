"""urllib3's ``Retry`` under httpx: what requests' ``HTTPAdapter(max_retries=...)`` does, for
the clients ``compat.adopt`` makes (see ``_adopt``)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

_REDIRECTS = frozenset({301, 302, 303, 307, 308})


class RetryError(httpx.HTTPError):
    """Status retries ran out (urllib3 ``Retry(raise_on_status=True)``, requests'
    ``RetryError``); ``response`` is the last answer."""

    def __init__(self, message: str, *, request: httpx.Request,
                 response: httpx.Response) -> None:
        super().__init__(message)
        self.request = request
        self.response = response


class RetryTransport(httpx.AsyncBaseTransport):
    """Sends through ``transport`` and retries as urllib3 does with ``retry`` (a
    ``urllib3.util.Retry``), which is what requests' ``HTTPAdapter(max_retries=...)`` does."""

    def __init__(self, transport: httpx.AsyncBaseTransport, retry: Any) -> None:
        from urllib3.util.retry import Retry

        self._transport = transport
        self._retry: Any = retry if isinstance(retry, Retry) else Retry.from_int(retry)
        # urllib3's Retry.is_retry reads has_retry_after for a few statuses only (the header
        # lookup costs more than the rest of the decision); a subclass may read it always.
        self._retry_after_statuses: Any = (
            self._retry.RETRY_AFTER_STATUS_CODES
            if type(self._retry).is_retry is Retry.is_retry else None)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        from urllib3.exceptions import MaxRetryError

        retries = self._retry
        method = request.method
        while True:
            try:
                response = await self._transport.handle_async_request(request)
            except httpx.TransportError as error:
                url = str(request.url)
                legacy = _urllib3_error(error, url)
                if legacy is None:
                    raise
                try:
                    retries = retries.increment(method, url, error=legacy)
                except Exception:
                    raise error from None  # requests raises the same family of error
                await asyncio.sleep(retries.get_backoff_time())
                continue
            status = response.status_code
            statuses = self._retry_after_statuses
            has_retry_after = (statuses is None or status in statuses) and bool(
                response.headers.get("Retry-After"))
            if not retries.is_retry(method, status, has_retry_after):
                return response
            url = str(request.url)
            try:
                retries = retries.increment(method, url, response=_Status(response))
            except MaxRetryError as exhausted:
                if not retries.raise_on_status:
                    return response
                await response.aread()
                await response.aclose()
                raise RetryError(str(exhausted), request=request, response=response) from None
            await response.aread()
            await response.aclose()
            delay = retries.get_retry_after(_Status(response)) if (
                retries.respect_retry_after_header) else None
            await asyncio.sleep(delay if delay else retries.get_backoff_time())

    async def aclose(self) -> None:
        await self._transport.aclose()


class _Status:
    """What urllib3's ``Retry`` reads of a response."""

    def __init__(self, response: httpx.Response) -> None:
        self.status = response.status_code
        self.headers = response.headers

    def get_redirect_location(self) -> str | bool | None:
        if self.status in _REDIRECTS:
            location: str | None = self.headers.get("location")
            return location
        return False


def _urllib3_error(error: httpx.TransportError, url: str) -> Exception | None:
    """The urllib3 error raised in the same situation (what ``Retry`` classifies as a
    connect, read or other error), or None for errors urllib3 never retries."""
    from urllib3 import exceptions as u

    if isinstance(error, httpx.ConnectTimeout):
        return u.ConnectTimeoutError(str(error))
    if isinstance(error, httpx.ConnectError | httpx.ProxyError):
        return u.NewConnectionError(None, str(error))  # type: ignore[arg-type]
    if isinstance(error, httpx.TimeoutException):
        return u.ReadTimeoutError(None, url, str(error))  # type: ignore[arg-type]
    if isinstance(error, httpx.NetworkError | httpx.RemoteProtocolError):
        return u.ProtocolError("Connection aborted.", error)
    return None
