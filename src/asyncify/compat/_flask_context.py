"""A Flask request context that builds its parts when they are first used.

Every migrated request runs inside the legacy app's request context (:mod:`._legacy`), and
Flask builds all of it up front: the WSGI environ, the request object, the URL adapter, the
URL match, the session. A migrated request rarely needs most of it — a request-id hook reads
one header, the twin reads nothing of ``flask.request`` at all — yet paid for all of it, a
tenth of the CPU the generated apps spent per request (``benchmarks/request_cpu.py``).

:class:`LeanRequestContext` is a ``flask.ctx.RequestContext`` whose ``request``,
``url_adapter`` and session are made on first use, from the same inputs and by the same
Flask calls, so what any code reads is what Flask's own context would give; the request's
``url_rule``, ``view_args`` and ``routing_exception`` (what ``push`` sets by matching the URL)
are matched on first read. :func:`preprocess_request`, :func:`process_response` and
:func:`teardown_request` are Flask's own methods of those names, except that they ask the
request for its blueprints (which takes the URL match) only when the app registered hooks on
a blueprint.
"""

from __future__ import annotations

import dataclasses
import functools
import io
import sys
import weakref
from typing import Any

from flask import Flask
from flask.ctx import RequestContext
from flask.globals import _cv_app, _cv_request
from flask.signals import request_tearing_down
from starlette.types import Scope
from werkzeug.exceptions import HTTPException
from werkzeug.routing.converters import DEFAULT_CONVERTERS

# ``pop()`` without an exception: take the one being handled, as Flask does.
CURRENT_EXCEPTION: Any = object()
_MATCHED = "_asyncify_matched"


def environ(scope: Scope, body: bytes) -> dict[str, Any]:
    """The WSGI environ the legacy app would get for this request through the a2wsgi mount
    (the same function builds it), with the body already read."""
    from a2wsgi.wsgi import build_environ

    built: dict[str, Any] = dict(build_environ(scope, io.BytesIO(body)))  # type: ignore[arg-type]
    if body and "CONTENT_LENGTH" not in built:
        built["CONTENT_LENGTH"] = str(len(body))  # a chunked body, read whole
    return built


def _adapter(request: Any) -> Any:
    """The request's URL adapter, made as ``RequestContext`` makes it (which checks
    ``TRUSTED_HOSTS``: a refused host is the request's routing exception)."""
    state = request.__dict__
    if "_asyncify_adapter" not in state:
        try:
            state["_asyncify_adapter"] = state["_asyncify_app"].create_url_adapter(request)
        except HTTPException as e:
            state["_asyncify_adapter"] = None
            state["routing_exception"] = e
    return state["_asyncify_adapter"]


# URL matches remembered per app and (method, script name, path): bounded, then restarted.
MATCH_CACHE = 4096
_matches: weakref.WeakKeyDictionary[Flask, dict[tuple[str, str, str], tuple[Any, Any]]] = (
    weakref.WeakKeyDictionary())


_BUILTIN_CONVERTERS = frozenset(DEFAULT_CONVERTERS.values())


def _plain_values(rule: Any) -> bool:
    """Whether every URL converter of ``rule`` is one of Werkzeug's own, whose values (str,
    int, float, UUID) only depend on the path: an app's converter may load an object per
    request (``<user:user>``), so its match is made again each time, as Flask does."""
    return all(type(c) in _BUILTIN_CONVERTERS for c in getattr(rule, "_converters", {}).values())


def _match(request: Any) -> None:
    """What ``RequestContext`` does when it is pushed: match the URL (once, on first need).

    Where the match depends on the method and path alone (no host or subdomain matching,
    no ``TRUSTED_HOSTS`` check, only Werkzeug's own converters), a successful one is
    remembered, as a Werkzeug rule and a copy of its view arguments: the app's URL map is
    fixed once it serves requests, and Werkzeug's matcher (with the adapter it binds to the
    request first) is the most expensive part of a request context."""
    state = request.__dict__
    if _MATCHED in state:
        return
    state[_MATCHED] = True
    app: Flask = state["_asyncify_app"]
    key = None
    if (app.config["TRUSTED_HOSTS"] is None and not app.url_map.host_matching
            and not app.subdomain_matching):
        environ = request.environ
        key = (environ.get("REQUEST_METHOD", ""), environ.get("SCRIPT_NAME", ""),
               environ.get("PATH_INFO", ""))
        known = _matches.get(app)
        found = None if known is None else known.get(key)
        if found is not None:
            state["url_rule"], state["view_args"] = found[0], dict(found[1])
            return
    adapter = _adapter(request)
    if adapter is None:
        return
    try:
        rule, view_args = adapter.match(return_rule=True)
    except HTTPException as e:
        state["routing_exception"] = e
        return
    state["url_rule"], state["view_args"] = rule, view_args
    if key is not None and _plain_values(rule):
        known = _matches.setdefault(app, {})
        if len(known) >= MATCH_CACHE:
            known.clear()
        known[key] = (rule, dict(view_args))


def _matched_attribute(name: str) -> property:
    def get(self: Any) -> Any:
        _match(self)
        return self.__dict__.get(name)

    def set_(self: Any, value: Any) -> None:
        _match(self)  # set after the match, as when Flask matched at push
        self.__dict__[name] = value

    return property(get, set_)


@functools.lru_cache(maxsize=16)
def _lean_request_class(cls: type) -> type:
    """``cls`` (the app's ``request_class``) whose URL match is made on first read."""
    return type(cls.__name__, (cls,), {
        "__module__": cls.__module__,
        "__qualname__": cls.__qualname__,
        "url_rule": _matched_attribute("url_rule"),
        "view_args": _matched_attribute("view_args"),
        "routing_exception": _matched_attribute("routing_exception"),
    })


class LeanRequestContext(RequestContext):
    """The legacy app's request context for one ASGI request, made lazily (module doc).

    ``push`` and ``pop`` are Flask's, less what they would build: the app context is pushed
    (or the current one reused) as Flask does; the session is opened when first read (by
    the hooks, the view, or ``process_response``, which always reads it), the URL matched
    when something reads the match. Teardown runs the same functions and sends the same
    signal; the request is closed only if it was made.
    """

    def __init__(self, app: Flask, scope: Scope, body: bytes,
                 hooks: Hooks | None = None) -> None:
        # RequestContext.__init__ builds the request and the URL adapter: not called.
        self.app = app
        self._asyncify_hooks = hooks if hooks is not None else Hooks.of(app)
        self._asyncify_scope = scope
        self._asyncify_body = body
        self._asyncify_request: Any = None
        self._asyncify_session: Any = None
        self.flashes = None
        self._after_request_functions = []
        self._cv_tokens = []

    @property
    def request(self) -> Any:
        request = self._asyncify_request
        if request is None:
            app = self.app
            request = _lean_request_class(app.request_class)(  # type: ignore[arg-type]
                environ(self._asyncify_scope, self._asyncify_body))
            request.json_module = app.json
            request.__dict__["_asyncify_app"] = app
            if (trusted_hosts := app.config["TRUSTED_HOSTS"]) is not None:
                request.trusted_hosts = trusted_hosts
            self._asyncify_request = request
        return request

    @request.setter
    def request(self, value: Any) -> None:
        self._asyncify_request = value

    @property
    def url_adapter(self) -> Any:
        return _adapter(self.request)

    @url_adapter.setter
    def url_adapter(self, value: Any) -> None:
        self.request.__dict__["_asyncify_adapter"] = value

    @property
    def _session(self) -> Any:
        session = self._asyncify_session
        if session is None:  # what push opens
            interface = self.app.session_interface
            session = interface.open_session(self.app, self.request)
            if session is None:
                session = interface.make_null_session(self.app)
            self._asyncify_session = session
        return session

    @_session.setter
    def _session(self, value: Any) -> None:
        self._asyncify_session = value

    def copy(self) -> RequestContext:
        """A plain Flask request context with the same request and session
        (``copy_current_request_context``)."""
        return RequestContext(self.app, environ=self.request.environ, request=self.request,
                              session=self._session)

    def push(self) -> None:
        app_ctx = _cv_app.get(None)
        if app_ctx is None or app_ctx.app is not self.app:
            app_ctx = self.app.app_context()
            app_ctx.push()
        else:
            app_ctx = None
        self._cv_tokens.append((_cv_request.set(self), app_ctx))

    def pop(self, exc: BaseException | None = CURRENT_EXCEPTION) -> None:
        clear_request = len(self._cv_tokens) == 1
        try:
            if clear_request:
                if exc is CURRENT_EXCEPTION:
                    exc = sys.exc_info()[1]
                teardown_request(self.app, exc, self._asyncify_hooks)
                if self._asyncify_request is not None:
                    request_close = getattr(self._asyncify_request, "close", None)
                    if request_close is not None:
                        request_close()
        finally:
            ctx = _cv_request.get()
            token, app_ctx = self._cv_tokens.pop()
            _cv_request.reset(token)
            if clear_request and self._asyncify_request is not None:
                self._asyncify_request.environ["werkzeug.request"] = None
            if app_ctx is not None:
                app_ctx.pop(exc)
            if ctx is not self:
                raise AssertionError(
                    f"Popped wrong request context. ({ctx!r} instead of {self!r})")

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {self.app.name}>"


@dataclasses.dataclass(frozen=True)
class Hooks:
    """The legacy app's request hooks, read once (Flask refuses new ones once it has
    served a request): ``None`` where one of them is registered on a blueprint, and
    Flask's own method, which asks the request for its blueprints, must run them."""

    url_value: tuple[Any, ...] | None
    before: tuple[Any, ...] | None
    after: tuple[Any, ...] | None  # last registered first, as Flask calls them
    teardown: tuple[Any, ...] | None  # idem

    @classmethod
    def of(cls, app: Flask) -> Hooks:
        def app_only(registry: dict[Any, list[Any]], reverse: bool = False) -> Any:
            if any(functions for name, functions in registry.items() if name is not None):
                return None
            functions = registry.get(None, ())
            return tuple(app.ensure_sync(f) for f in (
                reversed(functions) if reverse else functions))

        return cls(url_value=app_only(app.url_value_preprocessors),
                   before=app_only(app.before_request_funcs),
                   after=app_only(app.after_request_funcs, reverse=True),
                   teardown=app_only(app.teardown_request_funcs, reverse=True))


def _hooks(app: Flask) -> Hooks:
    hooks = getattr(_cv_request.get(None), "_asyncify_hooks", None)
    return hooks if hooks is not None else Hooks.of(app)


def preprocess_request(app: Flask) -> Any:
    """``app.preprocess_request()``: the URL value preprocessors and ``before_request``
    hooks of the app and of the request's blueprints; what the first hook returning
    something returned."""
    hooks = _hooks(app)
    if hooks.url_value is None or hooks.before is None:
        return app.preprocess_request()
    if hooks.url_value:
        from flask import request

        for url_func in hooks.url_value:
            url_func(request.endpoint, request.view_args)
    for before_func in hooks.before:
        rv = before_func()
        if rv is not None:
            return rv
    return None


def process_response(app: Flask, response: Any) -> Any:
    """``app.process_response(response)``: the request's ``after_this_request`` functions,
    the ``after_request`` hooks of its blueprints and of the app (last registered first),
    then the session saved."""
    hooks = _hooks(app)
    if hooks.after is None:
        return app.process_response(response)
    ctx = _cv_request.get()
    for func in ctx._after_request_functions:
        response = app.ensure_sync(func)(response)
    for func in hooks.after:
        response = func(response)
    session = ctx._session
    if not app.session_interface.is_null_session(session):
        app.session_interface.save_session(app, session, response)  # type: ignore[arg-type]
    return response


def teardown_request(app: Flask, exc: BaseException | None, hooks: Hooks) -> None:
    """``app.do_teardown_request(exc)``: the ``teardown_request`` functions of the request's
    blueprints and of the app, then the ``request_tearing_down`` signal."""
    if hooks.teardown is None:
        app.do_teardown_request(exc)
        return
    for func in hooks.teardown:
        func(exc)
    request_tearing_down.send(app, _async_wrapper=app.ensure_sync, exc=exc)
