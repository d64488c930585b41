"""Flask views as FastAPI endpoints: class-based views (``MethodView``, ``View``), which the
ASY102 rewrite of ``bp.add_url_rule(rule, view_func=Cls.as_view(...))`` routes one request
method at a time, and the views of routes a Flask app declares on itself."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from starlette.responses import Response

from ._flask import flask_response


def class_view(cls: type, method: str, *class_args: Any, **class_kwargs: Any) -> Callable[..., Any]:
    """The FastAPI endpoint for one request method of a Flask class-based view: what
    ``cls.as_view(name, *class_args, **class_kwargs)`` does for a request routed to
    ``method`` (``"get"``, or ``"dispatch_request"`` for a plain ``View``).

    As in Flask, an instance is created for every request (once per route when the class
    sets ``init_every_request = False``), the class's ``decorators`` wrap the call, and what
    the method (or a decorator) returns becomes a response by Flask's rules. FastAPI sees the
    method's own parameters, without ``self``.
    """
    function = getattr(cls, method)
    signature = inspect.signature(function)
    parameters = list(signature.parameters.values())[1:]  # self
    shared = None if getattr(cls, "init_every_request", True) else cls(*class_args,
                                                                         **class_kwargs)

    def instance() -> Any:
        return shared if shared is not None else cls(*class_args, **class_kwargs)

    is_async = inspect.iscoroutinefunction(inspect.unwrap(function)) and (
        inspect.iscoroutinefunction(function))
    if is_async:
        async def call_async(**kwargs: Any) -> Any:
            return await getattr(instance(), method)(**kwargs)

        view: Callable[..., Any] = call_async
    else:
        def call(**kwargs: Any) -> Any:
            return getattr(instance(), method)(**kwargs)

        view = call
    for decorator in getattr(cls, "decorators", ()):
        view = decorator(view)
    decorated = view

    if is_async:
        async def endpoint_async(**kwargs: Any) -> Response:
            rv = decorated(**kwargs)
            if inspect.isawaitable(rv):
                rv = await rv
            return flask_response(rv)

        endpoint: Callable[..., Any] = endpoint_async
    else:
        def endpoint_sync(**kwargs: Any) -> Response:
            return flask_response(decorated(**kwargs))

        endpoint = endpoint_sync
    endpoint.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    # FastAPI resolves string annotations in the globals of the unwrapped function.
    endpoint.__wrapped__ = function  # type: ignore[attr-defined]
    endpoint.__name__ = method
    endpoint.__qualname__ = f"{cls.__qualname__}.{method}"
    endpoint.__module__ = cls.__module__
    return endpoint


def flask_view(view: Callable[..., Any]) -> Callable[..., Any]:
    """A view function routed as a FastAPI endpoint whose return value becomes a response
    by Flask's rules (``make_response``), for a view the rewrite did not see as one (a
    route declared on the app object in its factory). FastAPI sees ``view``'s signature."""

    if inspect.iscoroutinefunction(view):
        @functools.wraps(view)
        async def endpoint_async(*args: Any, **kwargs: Any) -> Response:
            return flask_response(await view(*args, **kwargs))

        return endpoint_async

    @functools.wraps(view)
    def endpoint(*args: Any, **kwargs: Any) -> Response:
        return flask_response(view(*args, **kwargs))

    return endpoint
