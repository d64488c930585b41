"""Runtime I/O profiles of the legacy app, for the planner.

``ProfilerMiddleware`` (or the ``FlaskProfiler`` extension) measures, per URL rule and
method, wall time, the serving thread's CPU time, and the time spent inside DB and HTTP calls
— measured by instrumenting psycopg2, requests, urllib3 and SQLAlchemy, not inferred. It writes
JSON Lines (``asyncify.profile/1``, see docs/profile.md); ``load_profiles`` reads those, OTLP
JSON span exports and access logs back for ``asyncify plan --profile``.
"""

from __future__ import annotations

from ._instrument import install
from ._load import FORMATS, ProfileData, ProfileSource, Tally, load_profiles
from ._middleware import FlaskProfiler, ProfilerMiddleware
from ._writer import FIELDS, SCHEMA

__all__ = [
    "FIELDS",
    "FORMATS",
    "SCHEMA",
    "FlaskProfiler",
    "ProfileData",
    "ProfileSource",
    "ProfilerMiddleware",
    "Tally",
    "install",
    "load_profiles",
]
