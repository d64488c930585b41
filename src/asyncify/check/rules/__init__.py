"""Every rule, one per module; importing this package registers them all."""

from __future__ import annotations

from . import (
    asy600_http,
    asy601_subprocess,
    asy602_file,
    asy603_ospath,
    asy604_input,
    asy605_sleep,
    asy606_db,
    asy607_other,
    asy610_transitive,
    asy620_unawaited,
    asy621_async_callback,
    asy630_sync_lock,
    asy631_nested_loop,
    asy640_sql_formatting,
)

__all__ = [
    "asy600_http",
    "asy601_subprocess",
    "asy602_file",
    "asy603_ospath",
    "asy604_input",
    "asy605_sleep",
    "asy606_db",
    "asy607_other",
    "asy610_transitive",
    "asy620_unawaited",
    "asy621_async_callback",
    "asy630_sync_lock",
    "asy631_nested_loop",
    "asy640_sql_formatting",
]
