"""Differential testing: the same requests go to the legacy app and the candidate (migrated
or combined) app, and every difference in status, headers that matter and normalised body is
reported with both sides.

Also home of the server plumbing (:class:`AppSpec`, :func:`start_app`) that the sample suites
and the benchmarks share.
"""

from ._compare import Difference, Normaliser, Reply, compare, parse_json_path
from ._render import render_json, render_text, summary, to_data
from ._run import Mismatch, VerifyReport, run
from ._samples import Route, Sample, from_routes, read_samples
from ._servers import HOST, AppSpec, Server, ServerError, free_port, pythonpath, start_app
from ._settings import EndpointSettings, Replacement, VerifySettings, load_settings, parse_settings

__all__ = [
    "HOST",
    "AppSpec",
    "Difference",
    "EndpointSettings",
    "Mismatch",
    "Normaliser",
    "Replacement",
    "Reply",
    "Route",
    "Sample",
    "Server",
    "ServerError",
    "VerifyReport",
    "VerifySettings",
    "compare",
    "free_port",
    "from_routes",
    "load_settings",
    "parse_json_path",
    "parse_settings",
    "pythonpath",
    "read_samples",
    "render_json",
    "render_text",
    "run",
    "start_app",
    "summary",
    "to_data",
]
