"""Async views of objects the legacy app creates: ``adopt(legacy_client, TwinClass)``.

A client class the legacy app instantiates itself (in its factory, kept in
``app.extensions``, or cached by a getter) keeps its sync methods; its async twin
(``class UpstreamClient(LegacyUpstreamClient)`` with only the converted methods) needs the
same object with its ``requests.Session`` replaced by an ``httpx.AsyncClient``. ``adopt``
makes that view once per object and event loop: the instance's attributes are copied, and
each ``requests.Session`` among them becomes a :class:`RequestsAsyncClient` that sends what
the session would have sent (semantics.md §1):

- **URLs and query strings** are built by requests itself (``PreparedRequest.prepare_url``):
  the session's ``params`` and the call's ``params`` are appended to a query string already
  in the URL, ``None`` values dropped (httpx would replace the URL's query string).
- **Headers** are the session's, requests' defaults included (``User-Agent:
  python-requests/…``, ``Accept-Encoding: gzip, deflate``); a call's header set to ``None``
  is not sent, nor is the session's of that name; **cookies** share the session's
  jar; ``auth`` tuples become ``httpx.BasicAuth``; ``verify``, ``cert``, ``trust_env`` and
  ``max_redirects`` carry over.
- **Retries**: each mounted ``HTTPAdapter``'s urllib3 ``Retry`` (``max_retries``) is driven
  by :class:`RetryTransport` exactly as urllib3 drives it: connect and read errors, the
  status forcelist, ``allowed_methods``, backoff and ``Retry-After``, with ``asyncio.sleep``
  instead of ``time.sleep``. Exhausted status retries raise :class:`RetryError` (the legacy
  error handlers see ``requests.exceptions.RetryError``, see ``as_legacy``); exhausted
  connect retries raise the httpx error requests' own would map to.
- **Responses** are httpx responses whose ``json()`` raises requests' ``JSONDecodeError``
  (a ``json.JSONDecodeError`` too) on a malformed body.
- **Response hooks** (``session.hooks["response"]``) run as httpx event hooks, with a
  ``requests.Response`` made from the httpx one (status, headers, URL, reason, request): the
  body is not read yet at that point under httpx, so a hook that reads it (or returns a
  replacement response) fails with a clear error instead of behaving differently.

Anything a session holds that has no exact equivalent (a custom adapter, an adapter on
another prefix, proxies, an auth object, ``pool_block=True``) raises :class:`AdoptionError`
naming it. Other attributes are shared with the legacy object (the same objects); the twin
never rebinds them (``asyncify apply`` only adopts classes whose converted methods assign no
attribute), so legacy and async code see the same state.
"""

from __future__ import annotations

import asyncio
import functools
import weakref
from collections.abc import Mapping
from typing import Any, TypeVar
from urllib.parse import urlencode

import httpx

from ._http import requests_headers
from ._retry import RetryTransport
from ._transport import new_transport

T = TypeVar("T")

_views: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[tuple[int, type], Any]] = (
    weakref.WeakKeyDictionary()
)


class AdoptionError(TypeError):
    """A legacy object holds something its async view cannot reproduce exactly."""


def adopt(legacy: Any, twin: type[T]) -> T:
    """The async view of ``legacy`` (an instance of the legacy class ``twin`` derives from)
    for the running event loop: created on first use, then reused.

    ``None`` is passed through (a getter that may return nothing still does).

    :raises AdoptionError: the object has no ``__dict__``, or a session it holds cannot be
        reproduced exactly (see the module docstring).
    """
    if legacy is None or isinstance(legacy, twin):
        return legacy  # type: ignore[return-value]
    loop = asyncio.get_running_loop()
    views = _views.setdefault(loop, {})
    key = (id(legacy), twin)
    found = views.get(key)
    if found is not None and found[0] is legacy:
        return found[1]  # type: ignore[no-any-return]
    try:
        state = dict(vars(legacy))
    except TypeError:
        raise AdoptionError(f"{type(legacy).__qualname__} has no __dict__ (__slots__?): its "
                            f"async twin {twin.__qualname__} cannot take over its state") from None
    for name, value in state.items():
        if _is_session(value):
            state[name] = async_session(value, where=f"{type(legacy).__qualname__}.{name}")
    view = twin.__new__(twin)
    view.__dict__.update(state)
    views[key] = (legacy, view)
    return view


async def close_adopted() -> None:
    """Close the clients the running loop's adopted views hold (from the app's lifespan
    shutdown); the legacy objects and their sessions are untouched."""
    views = _views.pop(asyncio.get_running_loop(), {})
    for _legacy, view in views.values():
        for value in vars(view).values():
            if isinstance(value, RequestsAsyncClient) and not value.is_closed:
                await value.aclose()


def _is_session(value: Any) -> bool:
    try:
        import requests
    except ImportError:
        return False
    return isinstance(value, requests.Session)


class RequestsAsyncClient(httpx.AsyncClient):
    """An ``httpx.AsyncClient`` that builds requests the way a ``requests.Session`` does:
    ``requests_params`` (the session's ``params``) and the call's ``params`` are appended to
    the URL's own query string by requests' ``prepare_url``, and a ``json=`` body is the
    bytes requests would send (``json.dumps`` defaults: httpx's are compact)."""

    def __init__(self, *, requests_params: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.requests_params = requests_params

    def build_request(self, method: str, url: httpx.URL | str, *, params: Any = None,
                      **kwargs: Any) -> httpx.Request:
        from requests.models import PreparedRequest
        from requests.sessions import merge_setting

        request_params, session_params = _plain(params), _plain(self.requests_params)
        if type(request_params) is dict and type(session_params) is dict:
            # merge_setting's result for two dicts, without its ABC checks (hot path).
            merged: Any = {k: v for k, v in {**session_params, **request_params}.items()
                           if v is not None}
        else:
            merged = merge_setting(request_params, session_params)
        url_text = _prepared_url(str(url), merged)
        if url_text is None:
            prepared_url = PreparedRequest()
            prepared_url.prepare_url(str(url), merged)
            assert prepared_url.url is not None
            url_text = prepared_url.url
        given = kwargs.get("headers")
        dropped: list[Any] = []
        if isinstance(given, Mapping) and any(v is None for v in given.values()):
            # requests: a None value removes the header, the session's too.
            dropped = [k for k, v in given.items() if v is None]
            kwargs["headers"] = requests_headers(given)
        body = kwargs.pop("json", None)
        if body is not None and not kwargs.get("data") and kwargs.get("content") is None:
            # requests' bytes: json.dumps defaults (ASCII escapes, ", " and ": "), no NaN.
            prepared = PreparedRequest()
            prepared.prepare_headers(None)
            prepared.prepare_body(None, None, body)
            headers = httpx.Headers(kwargs.get("headers"))
            if "content-type" not in headers and "content-type" not in self.headers:
                headers["Content-Type"] = "application/json"
            kwargs["headers"], kwargs["content"] = headers, prepared.body
        elif body is not None:
            kwargs["json"] = body
        request = super().build_request(method, url_text, **kwargs)
        for name in dropped:
            request.headers.pop(name, None)
        return request


    async def send(self, request: httpx.Request, **kwargs: Any) -> httpx.Response:
        response = await super().send(request, **kwargs)
        response.__class__ = RequestsResponse
        return response


class RequestsResponse(httpx.Response):
    """An httpx response whose ``json()`` raises requests' ``JSONDecodeError`` (still a
    ``json.JSONDecodeError``), as the legacy code and its error handlers expect."""

    def json(self, **kwargs: Any) -> Any:
        import json

        try:
            return super().json(**kwargs)
        except json.JSONDecodeError as error:
            import requests

            raise requests.exceptions.JSONDecodeError(error.msg, error.doc, error.pos) from error


# The value types requests' _encode_params sends as one value each.
_SCALARS = frozenset({str, bytes, int, float, bool, type(None)})


def _prepared_url(url: str, params: Any) -> str | None:
    """What ``PreparedRequest.prepare_url(url, params)`` makes, for the common case (an
    http(s) URL without ``%`` or ``#``, ``params`` a dict of single values), else None.
    The URL without parameters is prepared once (:func:`_prepared_base`); the query string
    requests appends to it is built as ``_encode_params`` builds it (its runtime protocol
    checks cost more than the encoding). requests requotes the whole URL, but the parts
    ``urlencode`` writes are left unchanged by it and, without ``%`` in the URL, requoting
    is character by character: the result is the same string."""
    if params is not None and type(params) is not dict:
        return None
    base = _prepared_base(url)
    if base is None:
        return None
    prepared, separator = base
    if not params:
        return prepared
    pairs: list[tuple[Any, Any]] = []
    for key, value in params.items():
        if type(value) not in _SCALARS or type(key) not in (str, bytes):
            return None
        if value is not None:
            pairs.append((key.encode("utf-8") if type(key) is str else key,
                          value.encode("utf-8") if type(value) is str else value))
    encoded = urlencode(pairs, doseq=True)
    return f"{prepared}{separator}{encoded}" if encoded else prepared


@functools.lru_cache(maxsize=1024)
def _prepared_base(url: str) -> tuple[str, str] | None:
    """requests' prepared form of ``url`` without parameters, and the separator its query
    string takes (``&`` after a query already there, else ``?``); None when the URL has
    ``%`` or ``#`` or is not one requests prepares (another scheme, or invalid: the caller
    then lets requests raise its own error)."""
    from requests.models import PreparedRequest
    from urllib3.util import parse_url

    if "%" in url or "#" in url or not url.lstrip().lower().startswith("http"):
        return None
    prepared = PreparedRequest()
    try:
        prepared.prepare_url(url, None)
    except Exception:
        return None
    assert prepared.url is not None
    return prepared.url, "&" if parse_url(prepared.url).query else "?"


def _plain(params: Any) -> Any:
    if isinstance(params, httpx.QueryParams):
        return list(params.multi_items())
    return params


def async_session(session: Any, *, where: str = "the session") -> RequestsAsyncClient:
    """A :class:`RequestsAsyncClient` that sends what ``session`` (a ``requests.Session``)
    would send. ``where`` names it in errors.

    :raises AdoptionError: something the session holds has no exact httpx equivalent.
    """
    from requests.adapters import HTTPAdapter

    prefixes = set(session.adapters)
    if prefixes != {"http://", "https://"}:
        extra = sorted(prefixes - {"http://", "https://"})
        raise AdoptionError(f"{where}: adapters mounted on {extra!r}: only http:// and "
                            "https:// HTTPAdapters can be reproduced")
    if session.proxies:
        raise AdoptionError(f"{where}: session.proxies is set: pass proxies to httpx by hand")
    auth = session.auth
    if auth is not None and not (isinstance(auth, tuple) and len(auth) == 2):
        raise AdoptionError(f"{where}: session.auth is {type(auth).__name__}, not a "
                            "(user, password) tuple: requests auth classes are not httpx.Auth")
    verify, cert = session.verify, session.cert
    mounts: dict[str, httpx.AsyncBaseTransport] = {}
    for prefix in ("http://", "https://"):
        adapter = session.adapters[prefix]
        if type(adapter) is not HTTPAdapter:
            raise AdoptionError(f"{where}: {prefix} is served by {type(adapter).__qualname__}, "
                                "not requests' HTTPAdapter")
        if adapter._pool_block:
            raise AdoptionError(f"{where}: HTTPAdapter(pool_block=True) makes callers wait "
                                "for a pooled connection; httpx has no per-host equivalent")
        inner = new_transport(verify=verify, cert=cert, trust_env=session.trust_env,
                              keepalive=adapter._pool_maxsize)
        mounts[prefix] = RetryTransport(inner, adapter.max_retries)
    hooks = [_response_hook(hook, session, where) for hook in session.hooks.get("response", [])]
    return RequestsAsyncClient(
        requests_params=session.params or None,
        headers={k: v for k, v in session.headers.items() if v is not None},
        cookies=session.cookies,
        auth=httpx.BasicAuth(*auth) if auth is not None else None,
        mounts=mounts,
        trust_env=session.trust_env,
        max_redirects=session.max_redirects,
        timeout=None,  # requests waits forever unless the call says otherwise
        event_hooks={"response": hooks} if hooks else None,
    )


def _response_hook(hook: Any, session: Any, where: str) -> Any:
    async def run(response: httpx.Response) -> None:
        legacy = _hook_response(response)
        timeout = response.request.extensions.get("timeout", {})
        result = hook(legacy, timeout=timeout.get("read"), verify=session.verify,
                      proxies={}, stream=False, cert=session.cert)
        if result is not None and result is not legacy:
            raise AdoptionError(f"{where}: the response hook {getattr(hook, '__name__', hook)!r}"
                                " returned a replacement response; httpx event hooks cannot "
                                "replace the response")

    return run


class _UnreadBody:
    def read(self, *args: Any, **kwargs: Any) -> bytes:
        raise AdoptionError("a requests response hook read the response body: under httpx "
                            "the hook runs before the body is read; read it in the caller")

    stream = read


def _hook_response(response: httpx.Response) -> Any:
    """The ``requests.Response`` a response hook gets (:func:`requests_response` without
    the body), made lazily: most hooks log a line and read a few attributes, and copying
    the headers into requests' structures cost more than the rest of the hook."""
    return _hook_response_class()(response)


@functools.cache
def _hook_response_class() -> type:
    import datetime

    import requests
    from requests.utils import get_encoding_from_headers

    class HookResponse(requests.Response):
        """What :func:`requests_response` makes (``raw`` a :class:`_UnreadBody`, the
        encoding requests takes from the headers): status, URL and reason at once;
        ``headers``, ``encoding``, ``cookies`` and ``request`` on first read."""

        def __init__(self, response: httpx.Response) -> None:  # not requests': see above
            self._httpx = response
            self.status_code = response.status_code
            self.url = str(response.url)
            self.reason = response.reason_phrase
            self.raw = _UnreadBody()
            self._content = False
            self._content_consumed = False
            self._next = None
            self.history = []
            self.elapsed = datetime.timedelta(0)

        def __getattr__(self, name: str) -> Any:  # only for attributes not set yet
            if name == "headers":
                value: Any = requests.structures.CaseInsensitiveDict(self._httpx.headers)
            elif name == "cookies":
                value = requests.cookies.cookiejar_from_dict({})
            elif name == "encoding":
                value = get_encoding_from_headers(self._httpx.headers)  # type: ignore[arg-type]
            elif name == "request":
                value = _request_class()(self._httpx.request)
            else:
                raise AttributeError(name)
            setattr(self, name, value)
            return value

    return HookResponse


@functools.cache
def _request_class() -> type:
    import requests
    from requests.hooks import default_hooks

    class HookRequest(requests.PreparedRequest):
        """The ``PreparedRequest`` the legacy code sees for an httpx request (``request``
        of :func:`requests_response` and of hook responses): method and URL at once,
        headers (requests' case-insensitive dict) and the rest on first read."""

        def __init__(self, request: httpx.Request) -> None:  # not requests': see above
            self._httpx = request
            self.method = request.method
            self.url = str(request.url)

        def __getattr__(self, name: str) -> Any:  # only for attributes not set yet
            if name == "headers":
                value: Any = requests.structures.CaseInsensitiveDict(
                    dict(self._httpx.headers.items()))
            elif name == "hooks":
                value = default_hooks()
            elif name in ("_cookies", "body", "_body_position"):
                value = None
            else:
                raise AttributeError(name)
            setattr(self, name, value)
            return value

    return HookRequest


def requests_response(response: httpx.Response) -> Any:
    """A ``requests.Response`` made from an httpx one: status, headers, URL, reason, body
    and request."""
    import requests

    legacy = requests.Response()
    legacy.status_code = response.status_code
    legacy.headers.update(response.headers)
    legacy.url = str(response.url)
    legacy.reason = response.reason_phrase
    legacy._content = response.content
    legacy.request = _request_class()(response.request)
    return legacy
