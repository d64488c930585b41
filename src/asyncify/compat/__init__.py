"""Runtime helpers that migrated code calls to keep the legacy behaviour exactly.

The rewrites emit calls to these where the async library differs from the sync one in a way
no keyword argument can express (semantics.md). Each family lives in its own private module.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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
    from ._http import http_client, requests_params, set_http_client
    from ._legacy import LegacyContext, as_legacy, combine, legacy_decorator
    from ._pg import (
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

# Each family needs its own library (FastAPI and Werkzeug, asyncpg, httpx): a helper is
# imported on first use, so code that only calls ``http_client`` needs only httpx.
_HOME = {
    "as_legacy": "_legacy",
    "combine": "_legacy",
    "legacy_decorator": "_legacy",
    "LegacyContext": "_legacy",
    "FlaskHTTPException": "_flask",
    "FlaskJSONResponse": "_flask",
    "ShortCircuit": "_flask",
    "abort": "_flask",
    "as_werkzeug": "_flask",
    "before_request": "_flask",
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
    "pg_args": "_pgsql",
    "redirect": "_flask",
    "requests_params": "_http",
    "rowcount": "_pg",
    "set_db_pool": "_pg",
    "set_flask_app": "_flask",
    "set_http_client": "_http",
    "tuple_row": "_pg",
    "tuple_rows": "_pg",
    "url_for": "_flask",
}


def __getattr__(name: str) -> Any:
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module 'asyncify.compat' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


__all__ = [
    "FlaskHTTPException",
    "FlaskJSONResponse",
    "LegacyContext",
    "ShortCircuit",
    "abort",
    "as_legacy",
    "as_werkzeug",
    "before_request",
    "combine",
    "connect_db",
    "create_db_pool",
    "current_config",
    "db_pool",
    "dict_row",
    "dict_rows",
    "error_page",
    "execute_values",
    "flask_app",
    "flask_dumps",
    "flask_error_handler",
    "flask_response",
    "get_json",
    "get_json_silent",
    "http_client",
    "init_db_connection",
    "jsonify",
    "legacy_decorator",
    "lenient",
    "pg_args",
    "redirect",
    "requests_params",
    "rowcount",
    "set_db_pool",
    "set_flask_app",
    "set_http_client",
    "tuple_row",
    "tuple_rows",
    "url_for",
]
