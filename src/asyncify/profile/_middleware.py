"""The WSGI middleware and its Flask extension form.

Per sampled request: wall time (``perf_counter``), CPU time of the serving thread
(``time.thread_time``: not process-wide, so other threads' work is not counted), DB and HTTP
time measured by the hooks in ``_instrument``, and the Flask URL rule the request matched.
The record ends when the server closes the response iterable, so streamed bodies count.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from time import perf_counter, thread_time
from typing import Any

from ._instrument import install
from ._record import RequestRecord, activate, current
from ._writer import Writer

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

DEFAULT_DIRECTORY = "asyncify-profiles"


class ProfilerMiddleware:
    """Wrap a WSGI app (a Flask app, or ``app.wsgi_app`` with ``url_map=app.url_map``)::

        app.wsgi_app = ProfilerMiddleware(app.wsgi_app, url_map=app.url_map,
                                          directory="/var/log/asyncify", sample_rate=0.1)

    Requests are keyed by URL rule and method, never by raw path. ``sample_rate`` (0 to 1) is the
    share of requests measured; unsampled ones pass straight through. Files are written to
    ``directory`` (default ``$ASYNCIFY_PROFILE_DIR`` or ``./asyncify-profiles``), one per
    process, rotated at ``max_bytes`` keeping ``backups`` older files.

    :raises ValueError: ``sample_rate`` is outside [0, 1].
    """

    def __init__(
        self,
        app: WSGIApp,
        *,
        directory: str | os.PathLike[str] | None = None,
        sample_rate: float = 1.0,
        url_map: Any = None,
        max_bytes: int = 64 * 1024 * 1024,
        backups: int = 4,
        seed: int | None = None,
    ) -> None:
        if not 0.0 <= sample_rate <= 1.0:
            raise ValueError(f"sample_rate must be between 0 and 1, got {sample_rate!r}")
        self.app = app
        self.sample_rate = sample_rate
        self.url_map = url_map if url_map is not None else getattr(app, "url_map", None)
        target = directory or os.environ.get("ASYNCIFY_PROFILE_DIR") or DEFAULT_DIRECTORY
        self.hooked = install()
        self.writer = Writer(Path(target), max_bytes=max_bytes, backups=backups,
                             header={"sample_rate": sample_rate, "hooks": self.hooked})
        self._random = random.Random(seed).random

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        # A record left by a server that never closed its response is simply replaced.
        if self.sample_rate < 1.0 and self._random() >= self.sample_rate:
            return self.app(environ, start_response)
        record = RequestRecord(environ.get("REQUEST_METHOD", "GET"), perf_counter(),
                               thread_time())
        activate(record)

        def observe(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            record.status = int(status[:3])
            return start_response(status, headers, exc_info)

        try:
            body = self.app(environ, observe)
        except BaseException:
            record.status = 500
            self._finish(record, environ)
            raise
        return _Body(body, self, record, environ)

    def flush(self) -> None:
        """Write buffered records now (they are also written every second and at exit)."""
        self.writer.flush()

    def _finish(self, record: RequestRecord, environ: dict[str, Any]) -> None:
        wall = perf_counter() - record.wall0
        cpu = thread_time() - record.cpu0
        activate(None)
        if record.route is None and self.url_map is not None:
            record.route, record.endpoint = _match(self.url_map, environ)
        self.writer.add((
            round(time.time(), 3), record.method, record.route, record.endpoint, record.status,
            round(wall, 6), round(cpu, 6), round(record.db_s, 6), record.db_calls,
            record.db_writes, round(record.http_s, 6), record.http_calls, self.sample_rate,
            os.getpid(),
        ))


class _Body:
    """The response iterable, passed through; closing it ends the measurement."""

    __slots__ = ("_body", "_environ", "_owner", "_record")

    def __init__(self, body: Iterable[bytes], owner: ProfilerMiddleware, record: RequestRecord,
                 environ: dict[str, Any]) -> None:
        self._body, self._owner, self._record, self._environ = body, owner, record, environ

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._body)

    def close(self) -> None:
        try:
            close = getattr(self._body, "close", None)
            if close is not None:
                close()
        finally:
            self._owner._finish(self._record, self._environ)


def _match(url_map: Any, environ: dict[str, Any]) -> tuple[str | None, str | None]:
    from werkzeug.exceptions import HTTPException
    from werkzeug.routing import RequestRedirect

    try:
        rule, _ = url_map.bind_to_environ(environ).match(return_rule=True)
    except RequestRedirect:  # the strict-slash redirect: no view runs
        return None, None
    except HTTPException:
        return None, None
    return rule.rule, rule.endpoint


class FlaskProfiler:
    """The Flask extension form: ``FlaskProfiler(app, sample_rate=0.1)`` or
    ``profiler = FlaskProfiler(); profiler.init_app(app)``.

    The rule comes from ``flask.request.url_rule`` (Flask matched it already), so no second
    match is made. Options are those of :class:`ProfilerMiddleware`; ``PROFILE_*`` keys of
    ``app.config`` (``ASYNCIFY_PROFILE_DIR``, ``ASYNCIFY_PROFILE_SAMPLE_RATE``) fill the rest.
    """

    def __init__(self, app: Any = None, **options: Any) -> None:
        self.options = options
        self.middleware: ProfilerMiddleware | None = None
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Any) -> None:
        from flask import request, request_started

        options = dict(self.options)
        options.setdefault("directory", app.config.get("ASYNCIFY_PROFILE_DIR"))
        options.setdefault("sample_rate",
                           float(app.config.get("ASYNCIFY_PROFILE_SAMPLE_RATE", 1.0)))
        middleware = ProfilerMiddleware(app.wsgi_app, url_map=app.url_map, **options)
        app.wsgi_app = middleware
        app.extensions["asyncify.profile"] = middleware
        self.middleware = middleware

        def started(sender: Any, **extra: Any) -> None:
            record = current()
            rule = request.url_rule
            if record is not None and rule is not None:
                record.route, record.endpoint = rule.rule, rule.endpoint

        # weak=False: the receiver is a closure that would otherwise be collected at once.
        request_started.connect(started, app, weak=False)

    def flush(self) -> None:
        if self.middleware is not None:
            self.middleware.flush()
