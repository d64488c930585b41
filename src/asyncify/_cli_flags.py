"""``asyncify flags``: each migrated endpoint's rollout stage, kill switch, allow/deny lists,
live status and audit history (registered on the typer app by :mod:`asyncify.cli`).

The store is ``--store`` (or ``ASYNCIFY_FLAGS``): a flagd JSON file (default
``asyncify-flags.json``) or a ``redis://`` URL, the same one the combined app reads.
"""

from __future__ import annotations

import enum
import json
import sys
import time
from collections.abc import Callable
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from ._console import say
from .errors import AsyncifyError

flags_app = typer.Typer(name="flags", no_args_is_help=True,
                        help="Roll migrated endpoints out: stages, kill switch, status.")


class Format(enum.StrEnum):
    text = "text"
    json = "json"


class StageChoice(enum.StrEnum):
    legacy = "legacy"
    shadow = "shadow"
    canary = "canary"
    async_ = "async"
    retired = "retired"


Store = Annotated[str | None, typer.Option(
    "--store", envvar="ASYNCIFY_FLAGS", show_default=False,
    help="Flag file path or redis:// URL (default: ASYNCIFY_FLAGS, else "
         "asyncify-flags.json).")]
Key = Annotated[str, typer.Option("--key", envvar="ASYNCIFY_FLAGS_KEY",
                                  help="Redis key holding the flags.")]
Reason = Annotated[str, typer.Option("--reason", "-m", help="Why (kept in the audit log).")]
Fmt = Annotated[Format, typer.Option("--format", "-f", help="Output format.")]


def _store(store: str | None, key: str) -> Any:
    from .rollout import open_store, store_spec

    return open_store(store or store_spec(), key=key)


def _run(action: Callable[[], None]) -> None:
    try:
        action()
    except AsyncifyError as exc:
        say(f"asyncify: error: {exc}")
        raise typer.Exit(2) from None


def _change(store: str | None, key: str, endpoints: list[str], reason: str,
            edit: Callable[[Any], Any]) -> None:
    """Apply ``edit`` to each endpoint's flag (created at ``legacy`` if absent), audited."""
    from .rollout import Flag

    def change(flags: Any) -> Any:
        for endpoint in endpoints:
            flags = flags.with_flag(edit(flags.get(endpoint) or Flag(endpoint)))
        return flags

    def act() -> None:
        opened = _store(store, key)
        try:
            after = opened.update(change, reason=reason)
        finally:
            opened.close()
        for endpoint in endpoints:
            flag = after.get(endpoint)
            say(f"{endpoint}: {_describe(flag.summary())}")

    _run(act)


def _describe(summary: dict[str, Any]) -> str:
    text = str(summary["stage"])
    if summary["stage"] == "canary":
        text += f" {summary['percent']:g}%"
    if summary["killed"]:
        text += " (KILLED: legacy serves)"
    if summary["allow"]:
        text += f", allow {','.join(summary['allow'])}"
    if summary["deny"]:
        text += f", deny {','.join(summary['deny'])}"
    if summary.get("read_only"):
        text += ", read-only"
    return text


@flags_app.command("list")
def list_flags(store: Store = None, key: Key = "asyncify:flags", format: Fmt = Format.text,
               ) -> None:
    """Every endpoint flag with its stage."""

    def act() -> None:
        opened = _store(store, key)
        try:
            flags = opened.current()
        finally:
            opened.close()
        rows = {k: f.summary() for k, f in sorted((flags.flags if flags else {}).items())}
        if format is Format.json:
            sys.stdout.write(json.dumps(rows, indent=2) + "\n")
            return
        table = Table("endpoint", "stage", "percent", "killed", "allow", "deny")
        for name, row in rows.items():
            table.add_row(name, row["stage"], f"{row['percent']:g}",
                          "yes" if row["killed"] else "", ",".join(row["allow"]),
                          ",".join(row["deny"]))
        Console(width=200).print(table)

    _run(act)


@flags_app.command("set")
def set_flag(
    endpoint: Annotated[str, typer.Argument(
        help="Endpoint id, e.g. bookshop.views.books.book_detail.")],
    stage: Annotated[StageChoice | None, typer.Option("--stage", "-s", help="New stage.")] = None,
    percent: Annotated[float | None, typer.Option(
        "--percent", "-p", min=0, max=100, help="Canary share (implies --stage canary).")] = None,
    read_only: Annotated[bool | None, typer.Option(
        "--read-only/--not-read-only", help="Mark the endpoint safe to shadow for any "
        "method.")] = None,
    store: Store = None, key: Key = "asyncify:flags", reason: Reason = "",
) -> None:
    """Move an endpoint to a stage (legacy, shadow, canary N%, async, retired)."""
    from .rollout import Stage
    from .rollout._flags import FlagError, check_percent

    if stage is None and percent is None and read_only is None:
        say("asyncify: error: flags set needs --stage, --percent or --read-only")
        raise typer.Exit(2)
    if percent is not None and stage not in (None, StageChoice.canary):
        say(f"asyncify: error: --percent only applies to --stage canary, not {stage.value!r}")
        raise typer.Exit(2)

    def edit(flag: Any) -> Any:
        changes: dict[str, Any] = {}
        if stage is not None or percent is not None:
            changes["stage"] = Stage(stage.value) if stage is not None else Stage.canary
        if percent is not None:
            changes["percent"] = check_percent(percent)
        if read_only is not None:
            changes["read_only"] = read_only
        if changes.get("stage") is Stage.retired and flag.killed:
            raise FlagError(f"{flag.key} is killed: `asyncify flags unkill {flag.key}` first")
        return flag.changed(**changes)

    _change(store, key, [endpoint], reason or "set", edit)


@flags_app.command()
def kill(
    endpoints: Annotated[list[str], typer.Argument(help="Endpoint ids.")],
    store: Store = None, key: Key = "asyncify:flags", reason: Reason = "",
) -> None:
    """Kill switch: serve legacy for these endpoints now, whatever their stage."""
    from .rollout._flags import FlagError, Stage

    def edit(flag: Any) -> Any:
        if flag.stage is Stage.retired:
            raise FlagError(f"{flag.key} is retired (its legacy code is gone): move it back "
                            "with `asyncify flags set --stage async` first")
        return flag.changed(killed=True)

    _change(store, key, endpoints, reason or "kill", edit)


@flags_app.command()
def unkill(
    endpoints: Annotated[list[str], typer.Argument(help="Endpoint ids.")],
    store: Store = None, key: Key = "asyncify:flags", reason: Reason = "",
) -> None:
    """Lift the kill switch: the stage decides again."""
    _change(store, key, endpoints, reason or "unkill", lambda f: f.changed(killed=False))


def _listing(name: str) -> Callable[..., None]:
    def command(
        endpoint: Annotated[str, typer.Argument(help="Endpoint id.")],
        units: Annotated[list[str], typer.Argument(help="Unit keys (user ids, …).")],
        remove: Annotated[bool, typer.Option("--remove", help="Take them off instead.")] = False,
        store: Store = None, key: Key = "asyncify:flags", reason: Reason = "",
    ) -> None:
        from .rollout._flags import check_units

        def edit(flag: Any) -> Any:
            given = check_units(units, name)
            current = getattr(flag, name)
            return flag.changed(**{name: current - given if remove else current | given})

        _change(store, key, [endpoint], reason or f"{name} {'-' if remove else '+'}"
                f"{','.join(units)}", edit)

    effect = "always async" if name == "allow" else "always legacy"
    command.__doc__ = f"Add unit keys to the {name} list ({effect}, unless killed)."
    return command


flags_app.command("allow")(_listing("allow"))
flags_app.command("deny")(_listing("deny"))


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value * 1000:.1f}"


@flags_app.command()
def status(
    endpoints: Annotated[list[str] | None, typer.Argument(help="Only these endpoints.")] = None,
    store: Store = None, key: Key = "asyncify:flags", format: Fmt = Format.text,
) -> None:
    """Stage and live health per variant: requests, error rate, p50/p99, shadow mismatches.

    Merged from the sliding windows every worker publishes (kept 60 s)."""
    from .rollout import merge

    def act() -> None:
        opened = _store(store, key)
        try:
            flags = opened.current()
            published = opened.read_stats()
        finally:
            opened.close()
        stats = merge(published)
        workers = len(published)
        known = flags.flags if flags else {}
        names = endpoints or sorted(set(known) | set(stats))
        rows: dict[str, dict[str, Any]] = {}
        for name in names:
            flag = known.get(name)
            rows[name] = {"flag": flag.summary() if flag else None,
                          "variants": stats.get(name, {})}
        if format is Format.json:
            sys.stdout.write(json.dumps({"workers": workers, "endpoints": rows}, indent=2)
                             + "\n")
            return
        table = Table("endpoint", "stage", "variant", "requests", "error rate", "p50 ms",
                      "p99 ms", "shadow mismatch")
        for name, row in rows.items():
            stage = _describe(row["flag"]) if row["flag"] else "(no flag: legacy)"
            variants: dict[str, Any] = row["variants"]
            outcomes: dict[str, Any] = variants.get("shadow_outcomes") or {}
            mismatch = outcomes.get("mismatch_rate")
            shown = False
            for variant in ("legacy", "async", "shadow"):
                data = variants.get(variant)
                if not data or "requests" not in data:
                    continue
                table.add_row(name if not shown else "", stage if not shown else "", variant,
                              str(data["requests"]), f"{data['error_rate']:.1%}",
                              _ms(data["p50"]), _ms(data["p99"]),
                              "" if variant != "shadow" or mismatch is None
                              else f"{mismatch:.1%}")
                shown = True
            if not shown:
                table.add_row(name, stage, "-", "0", "-", "-", "-", "")
        Console(width=200).print(table)
        say(f"live stats from {workers} worker(s)")

    _run(act)


@flags_app.command()
def history(
    endpoint: Annotated[str | None, typer.Argument(help="Only this endpoint.")] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="Entries shown.")] = 50,
    store: Store = None, key: Key = "asyncify:flags", format: Fmt = Format.text,
) -> None:
    """The audit log: who changed which flag, when, from what to what, and why."""

    def act() -> None:
        opened = _store(store, key)
        try:
            entries = opened.history(limit if endpoint is None else 100_000)
        finally:
            opened.close()
        if endpoint is not None:
            entries = [e for e in entries if e["flag"] == endpoint][-limit:]
        if format is Format.json:
            sys.stdout.write("".join(json.dumps(e) + "\n" for e in entries))
            return
        for e in entries:
            when = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(e["ts"]))
            old = _describe(e["old"]) if e["old"] else "(new)"
            new = _describe(e["new"]) if e["new"] else "(removed)"
            sys.stdout.write(f"{when}Z  {e['actor']}  {e['flag']}: {old} -> {new}"
                             f"  [{e['reason']}]\n")

    _run(act)
