"""Runtime helpers that migrated code calls to keep the legacy behaviour exactly.

The rewrites emit calls to these where the async library differs from the sync one in a way
no keyword argument can express (semantics.md). Each family lives in its own private module.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# The combined app's module in ``<package>_async``, in order of preference: ``asyncify
# apply`` takes the first no twin module is called (migrate._apply), ``combined_app`` looks
# for them in that order.
COMBINED_MODULES = ("main", "combined", "asgi_main")

if TYPE_CHECKING:
    from ._adopt import (
        AdoptionError,
        RequestsAsyncClient,
        adopt,
        async_session,
        close_adopted,
    )
    from ._flask import (
        FlaskHTTPException,
        FlaskJSONResponse,
        ShortCircuit,
        abort,
        as_werkzeug,
        before_request,
        current_config,
        error_page,
        flask_app,
        flask_dumps,
        flask_error_handler,
        flask_response,
        get_json,
        get_json_silent,
        jsonify,
        lenient,
        redirect,
        set_flask_app,
        url_for,
    )
    from ._http import (
        close_http_client,
        http_client,
        requests_headers,
        requests_params,
        set_http_client,
    )
    from ._legacy import LegacyContext, as_legacy, combine, legacy_decorator
    from ._lifespan import close_loop_resources, serving_lifespan
    from ._pg import (
        close_db_pool,
        connect_db,
        create_db_pool,
        db_pool,
        dict_row,
        dict_rows,
        execute_values,
        init_db_connection,
        rowcount,
        set_db_pool,
        tuple_row,
        tuple_rows,
    )
    from ._pgsql import pg_args
    from ._retry import RetryError, RetryTransport
    from ._sandbox import SandboxViolation, in_sandbox, sandboxed
    from ._sqla import (
        Pagination,
        async_url,
        first_or_404,
        get_or_404,
        one_or_404,
        paginate,
        run_sync,
    )
    from ._sqla_session import current_session, dispose_engine, request_session
    from ._standalone import standalone
    from ._subprocess import async_call, async_check_call, async_check_output, async_run
    from ._testing import (
        ASGIClient,
        HTTPMock,
        LegacyOnlyWarning,
        asgi_client,
        assert_redirects,
        combined_app,
        httmock_router,
        http_mock,
        is_json,
        json_or_none,
        mimetype,
        request_context,
    )
    from ._transport import AiohttpTransport, new_client, new_transport
    from ._views import class_view, flask_view

# Each family needs its own library (FastAPI and Werkzeug, asyncpg, httpx): a helper is
# imported on first use, so code that only calls ``http_client`` needs only httpx.
_HOME = {
    # Async views of objects the legacy app creates (a requests.Session → httpx).
    "AdoptionError": "_adopt",
    "RequestsAsyncClient": "_adopt",
    "RetryError": "_retry",
    "RetryTransport": "_retry",
    "adopt": "_adopt",
    "async_session": "_adopt",
    "new_transport": "_transport",
    "SandboxViolation": "_sandbox",
    "in_sandbox": "_sandbox",
    "sandboxed": "_sandbox",
    "AiohttpTransport": "_transport",
    "as_legacy": "_legacy",
    "async_call": "_subprocess",
    "async_check_call": "_subprocess",
    "async_check_output": "_subprocess",
    "async_run": "_subprocess",
    "combine": "_legacy",
    "legacy_decorator": "_legacy",
    "LegacyContext": "_legacy",
    "FlaskHTTPException": "_flask",
    "FlaskJSONResponse": "_flask",
    "ShortCircuit": "_flask",
    "abort": "_flask",
    "as_werkzeug": "_flask",
    "before_request": "_flask",
    "class_view": "_views",
    "flask_view": "_views",
    "close_adopted": "_adopt",
    "close_db_pool": "_pg",
    "close_http_client": "_http",
    "close_loop_resources": "_lifespan",
    "serving_lifespan": "_lifespan",
    "connect_db": "_pg",
    "create_db_pool": "_pg",
    "current_config": "_flask",
    "db_pool": "_pg",
    "dict_row": "_pg",
    "dict_rows": "_pg",
    "error_page": "_flask",
    "execute_values": "_pg",
    "flask_app": "_flask",
    "flask_dumps": "_flask",
    "flask_error_handler": "_flask",
    "flask_response": "_flask",
    "get_json": "_flask",
    "get_json_silent": "_flask",
    "http_client": "_http",
    "init_db_connection": "_pg",
    "jsonify": "_flask",
    "lenient": "_flask",
    "new_client": "_transport",
    "pg_args": "_pgsql",
    "redirect": "_flask",
    "requests_headers": "_http",
    "requests_params": "_http",
    "rowcount": "_pg",
    "set_db_pool": "_pg",
    "set_flask_app": "_flask",
    "standalone": "_standalone",
    "set_http_client": "_http",
    "tuple_row": "_pg",
    "tuple_rows": "_pg",
    "url_for": "_flask",
    # SQLAlchemy asyncio (ASY4xx).
    "Pagination": "_sqla",
    "async_url": "_sqla",
    "first_or_404": "_sqla",
    "get_or_404": "_sqla",
    "one_or_404": "_sqla",
    "paginate": "_sqla",
    "run_sync": "_sqla",
    "current_session": "_sqla_session",
    "dispose_engine": "_sqla_session",
    "request_session": "_sqla_session",
    # Test-suite migration (ASY7xx): used by migrated tests only.
    "ASGIClient": "_testing",
    "HTTPMock": "_testing",
    "LegacyOnlyWarning": "_testing",
    "asgi_client": "_testing",
    "assert_redirects": "_testing",
    "combined_app": "_testing",
    "httmock_router": "_testing",
    "http_mock": "_testing",
    "is_json": "_testing",
    "json_or_none": "_testing",
    "mimetype": "_testing",
    "request_context": "_testing",
}


def __getattr__(name: str) -> Any:
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module 'asyncify.compat' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


__all__ = [
    "ASGIClient",
    "AdoptionError",
    "AiohttpTransport",
    "FlaskHTTPException",
    "FlaskJSONResponse",
    "HTTPMock",
    "LegacyContext",
    "LegacyOnlyWarning",
    "Pagination",
    "RequestsAsyncClient",
    "RetryError",
    "RetryTransport",
    "SandboxViolation",
    "ShortCircuit",
    "abort",
    "adopt",
    "as_legacy",
    "as_werkzeug",
    "asgi_client",
    "assert_redirects",
    "async_call",
    "async_check_call",
    "async_check_output",
    "async_run",
    "async_session",
    "async_url",
    "before_request",
    "class_view",
    "close_adopted",
    "close_db_pool",
    "close_http_client",
    "close_loop_resources",
    "combine",
    "combined_app",
    "connect_db",
    "create_db_pool",
    "current_config",
    "current_session",
    "db_pool",
    "dict_row",
    "dict_rows",
    "dispose_engine",
    "error_page",
    "execute_values",
    "first_or_404",
    "flask_app",
    "flask_dumps",
    "flask_error_handler",
    "flask_response",
    "flask_view",
    "get_json",
    "get_json_silent",
    "get_or_404",
    "httmock_router",
    "http_client",
    "http_mock",
    "in_sandbox",
    "init_db_connection",
    "is_json",
    "json_or_none",
    "jsonify",
    "legacy_decorator",
    "lenient",
    "mimetype",
    "new_client",
    "new_transport",
    "one_or_404",
    "paginate",
    "pg_args",
    "redirect",
    "request_context",
    "request_session",
    "requests_headers",
    "requests_params",
    "rowcount",
    "run_sync",
    "sandboxed",
    "serving_lifespan",
    "set_db_pool",
    "set_flask_app",
    "set_http_client",
    "standalone",
    "tuple_row",
    "tuple_rows",
    "url_for",
]
