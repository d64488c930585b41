"""Send every sample to both sides and collect what differs."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from ..errors import UsageError
from ._compare import Difference, Normaliser, Reply, compact_diff, compare
from ._samples import Sample
from ._scratch import TableSnapshot, scratch_databases
from ._servers import AppSpec, Server, start_app
from ._settings import VerifySettings

SIDES = ("legacy", "candidate")
#: What each side's own base URL becomes in headers and bodies before they are compared.
BASE = "{base_url}"


@dataclass(frozen=True)
class Mismatch:
    """A request whose two replies differ."""

    sample: Sample
    differences: tuple[Difference, ...]


@dataclass
class VerifyReport:
    """The outcome of one run: how many requests went out, and every mismatch."""

    legacy: str
    candidate: str
    sent: int = 0
    skipped_writes: int = 0
    mismatches: list[Mismatch] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.mismatches


def is_url(text: str) -> bool:
    return text.startswith(("http://", "https://"))


def _check_reachable(side: str, url: str, settings: VerifySettings) -> None:
    try:
        httpx.get(url.rstrip("/") + settings.ready_path, timeout=min(settings.timeout, 5.0))
    except httpx.HTTPError as exc:
        raise UsageError(
            f"{side} target {url!r} is unreachable ({type(exc).__name__}: {exc}); start it, or "
            "pass an app spec such as 'wsgi:app:create_app()' for asyncify to start"
        ) from None


@contextlib.contextmanager
def _targets(
    texts: Mapping[str, str], settings: VerifySettings, app_dir: Path,
    env: Mapping[str, Mapping[str, str]],
) -> Iterator[dict[str, str]]:
    """Base URLs of both sides; app specs are started (in parallel) and stopped after."""
    urls: dict[str, str] = {}
    with contextlib.ExitStack() as stack:
        logs = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="asyncify-verify-")))
        started: list[Server] = []
        for side, text in texts.items():
            if is_url(text):
                urls[side] = text.rstrip("/")
                continue
            spec = AppSpec.parse(text)
            server = start_app(spec, app_dir=app_dir, env={**settings.env, **env[side]},
                               log_dir=logs, name=side, workers=1)
            stack.callback(server.stop)
            started.append(server)
            urls[side] = server.url
        for server in started:
            server.wait_ready(settings.ready_path)
        for side, text in texts.items():
            if is_url(text):
                _check_reachable(side, text, settings)
        yield urls


def _send(client: httpx.Client, sample: Sample, settings: VerifySettings) -> Reply:
    kwargs: dict[str, Any] = {}
    if sample.extra.get("has_json") or sample.json is not None:
        kwargs["json"] = sample.json
    elif sample.form is not None:
        form: dict[str, list[str]] = {}
        for key, value in sample.form:
            form.setdefault(key, []).append(value)
        kwargs["data"] = form
    elif sample.body is not None:
        kwargs["content"] = sample.body.encode()
    headers = {**settings.request_headers, **dict(sample.headers)}
    try:
        response = client.request(sample.method, sample.path, params=list(sample.query),
                                  headers=headers, **kwargs)
    except httpx.TransportError as exc:
        # The class only: messages carry ports and addresses that differ between the sides.
        return Reply(None, {}, b"", error=type(exc).__name__)
    # Absolute URLs name the side's own address (Flask's 308s do): make them comparable.
    base = str(client.base_url).rstrip("/")
    names = {key.lower() for key in response.headers}
    headers = {name: response.headers[name].replace(base, BASE) for name in names}
    return Reply(response.status_code, headers,
                 response.content.replace(base.encode(), BASE.encode()))


def _table_differences(before: Mapping[str, list[str]],
                       after: Mapping[str, list[str]]) -> list[Difference]:
    return [
        Difference(f"table {table}", f"{len(before[table])} rows", f"{len(after[table])} rows",
                   compact_diff(before[table], after[table]))
        for table in before if before[table] != after[table]
    ]


def run(
    samples: Sequence[Sample],
    *,
    legacy: str,
    candidate: str,
    settings: VerifySettings,
    app_dir: Path = Path("."),
) -> VerifyReport:
    """Send ``samples`` to both targets (base URLs, or app specs started from ``app_dir``) and
    compare the replies. Writes go out only with ``settings.scratch_template``: each side then
    gets its own clone of it, and ``settings.compare_tables`` are compared after each write.

    :raises UsageError: a target is unreachable or a bad spec, or the scratch databases
        cannot be made. :raises ServerError: a started app exited or never answered.
    """
    texts = {"legacy": legacy, "candidate": candidate}
    normalise = Normaliser(settings)
    report = VerifyReport(legacy, candidate)
    with contextlib.ExitStack() as stack:
        env: dict[str, dict[str, str]] = {side: {} for side in SIDES}
        snapshots: dict[str, TableSnapshot] = {}
        if settings.scratch_template is not None:
            urls_given = [side for side, text in texts.items() if is_url(text)]
            if urls_given:
                raise UsageError(
                    f"scratch databases need app specs, not base URLs, for {urls_given!r}: "
                    "asyncify starts each app with its own clone in "
                    f"{settings.database_env} (or drop scratch_template to send reads only)")
            databases = stack.enter_context(scratch_databases(settings.scratch_template, SIDES))
            env = {side: {settings.database_env: databases[side]} for side in SIDES}
            for side in SIDES:
                if settings.compare_tables:
                    snapshots[side] = TableSnapshot(databases[side], settings.compare_tables,
                                                    settings.ignore_columns)
                    stack.callback(snapshots[side].close)
        urls = stack.enter_context(_targets(texts, settings, app_dir, env))
        clients = {
            side: stack.enter_context(httpx.Client(base_url=urls[side], timeout=settings.timeout))
            for side in SIDES
        }
        for sample in samples:
            if not sample.is_read and settings.scratch_template is None:
                report.skipped_writes += 1
                continue
            replies = [_send(clients[side], sample, settings) for side in SIDES]
            report.sent += 1
            found = compare(replies[0], replies[1], settings, normalise)
            if not sample.is_read and snapshots:
                found += _table_differences(snapshots["legacy"].read(),
                                            snapshots["candidate"].read())
            if found:
                report.mismatches.append(Mismatch(sample, tuple(found)))
    return report
