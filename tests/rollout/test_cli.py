"""``asyncify flags`` on a flag file: every subcommand, its audit trail and its errors."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from asyncify.cli import app
from asyncify.rollout import FileStore, Stage

runner = CliRunner()
EP = "shop.views.item"


def flags(store: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["flags", *args, "--store", str(store)])
    return result.exit_code, result.stdout, result.stderr


def test_walk_through(tmp_path: Path) -> None:
    store = tmp_path / "flags.json"
    assert flags(store, "set", EP, "--stage", "shadow", "-m", "start")[0] == 0
    code, _, err = flags(store, "set", EP, "--percent", "10")
    assert code == 0 and err.strip() == f"{EP}: canary 10%"
    assert flags(store, "allow", EP, "alice", "bob")[0] == 0
    assert flags(store, "deny", EP, "mallory")[0] == 0
    assert flags(store, "allow", EP, "bob", "--remove")[0] == 0
    assert flags(store, "kill", EP, "-m", "incident 7")[0] == 0
    code, out, _ = flags(store, "list", "--format", "json")
    assert json.loads(out)[EP] == {"stage": "canary", "percent": 10.0, "killed": True,
                                   "allow": ["alice"], "deny": ["mallory"], "read_only": False}
    assert flags(store, "unkill", EP)[0] == 0
    flag = FileStore(store).current().flags[EP]  # type: ignore[union-attr]
    assert (flag.stage, flag.killed, flag.previous) == (Stage.canary, False, Stage.shadow)
    code, out, _ = flags(store, "history", EP)
    lines = out.splitlines()
    assert len(lines) == 7
    assert lines[0].endswith(f"{EP}: (new) -> shadow  [start]")
    assert "(KILLED: legacy serves)" in lines[5] and lines[5].endswith("[incident 7]")
    code, out, _ = flags(store, "history", "--format", "json", "-n", "1")
    assert json.loads(out)["reason"] == "unkill"


def test_status_reads_published_stats(tmp_path: Path) -> None:
    path = tmp_path / "flags.json"
    flags(path, "set", EP, "--stage", "async")
    store = FileStore(path)
    store.publish_stats({"worker": "w1", "ts": 0, "window": 60, "flags": {EP: {
        "async": {"requests": 4, "errors": 1, "latencies": [0.01, 0.02, 0.03, 0.04]},
        "shadow_outcomes": {"match": 3, "mismatch": 1}}}})
    (path.parent / "flags.json.stats" / "w2.json").write_text(json.dumps(  # another worker
        {"worker": "w2", "ts": 0, "window": 60, "flags": {EP: {
            "async": {"requests": 1, "errors": 0, "latencies": [0.05]}}}}))
    code, out, _ = flags(path, "status", "--format", "json")
    assert code == 0
    data = json.loads(out)
    variants = data["endpoints"][EP]["variants"]
    assert variants["async"] == {"requests": 5, "errors": 1, "error_rate": 0.2, "p50": 0.03,
                                 "p99": 0.05}
    assert variants["shadow_outcomes"]["mismatch_rate"] == 0.25
    code, out, err = flags(path, "status")
    assert code == 0 and err.strip() == "live stats from 2 worker(s)"
    assert "async" in out and "20.0%" in out and "30.0" in out


def test_errors_are_one_line_with_exit_2(tmp_path: Path) -> None:
    store = tmp_path / "flags.json"
    assert flags(store, "set", EP) == (2, "", "asyncify: error: flags set needs --stage, "
                                               "--percent or --read-only\n")
    code, _, err = flags(store, "set", EP, "--stage", "async", "--percent", "5")
    assert code == 2 and "--percent only applies to --stage canary" in err
    code, _, err = flags(store, "set", EP, "--percent", "1.0001")
    assert code == 2 and "bad percentage 1.0001" in err
    code, _, err = flags(store, "allow", EP, "a,b")
    assert code == 2 and "bad allow entry 'a,b'" in err
    flags(store, "set", EP, "--stage", "retired")
    code, _, err = flags(store, "kill", EP)
    assert code == 2 and "is retired" in err
    store.write_text("{")
    code, _, err = flags(store, "kill", "other")
    assert code == 2 and "not valid JSON" in err
