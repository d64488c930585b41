"""The flag file: hot reload, last good flags on a corrupt file, audit log, stats."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from asyncify.rollout import FileStore, Flag, FlagSet, Stage


def set_stage(key: str, stage: Stage, percent: float = 0.0):  # type: ignore[no-untyped-def]
    def change(flags: FlagSet) -> FlagSet:
        old = flags.get(key) or Flag(key)
        return flags.with_flag(old.changed(stage=stage, percent=percent))
    return change


def test_update_audits_and_reloads(tmp_path: Path) -> None:
    path = tmp_path / "flags.json"
    writer = FileStore(path, poll_interval=0)
    reader = FileStore(path, poll_interval=0)
    assert reader.current() == FlagSet()
    writer.update(set_stage("a", Stage.canary, 5), reason="start", who="tester")
    flags = reader.current()
    assert flags is not None and flags.flags["a"].percent == 5
    writer.update(set_stage("a", Stage.canary, 5), reason="same", who="tester")  # no change
    history = writer.history()
    assert [(h["flag"], h["old"], h["new"]["percent"], h["reason"], h["actor"])
            for h in history] == [("a", None, 5.0, "start", "tester")]


def test_corrupt_file_keeps_last_good(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "flags.json"
    store = FileStore(path, poll_interval=0)
    store.update(set_stage("a", Stage.async_), reason="go")
    path.write_text('{"flags": {"a": ')
    os.utime(path, ns=(1, 1))  # a new mtime even on coarse clocks
    with caplog.at_level(logging.ERROR, "asyncify.rollout"):
        flags = store.current()
        store.current()
    assert flags is not None and flags.flags["a"].stage is Stage.async_
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1, errors  # once per bad version, not per request
    assert "flag file unusable, keeping the last good flags" in errors[0]
    assert str(path) in errors[0] and "not valid JSON" in errors[0]
    restarted = FileStore(path, poll_interval=0)  # a restart reads the last good copy
    again = restarted.current()
    assert again is not None and again.flags["a"].stage is Stage.async_


def test_stats_round_trip(tmp_path: Path) -> None:
    store = FileStore(tmp_path / "flags.json")
    store.publish_stats({"worker": "w", "flags": {}})
    assert store.read_stats() == [{"worker": "w", "flags": {}}]
