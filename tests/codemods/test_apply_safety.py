"""`asyncify apply --recipe`: diff by default, atomic journaled writes, undo to the exact
bytes, and every kind of bad input reported on one line while the run goes on."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from asyncify.cli import app

runner = CliRunner()

ASYNC_SLEEP = "import time\n\n\nasync def poll():\n    time.sleep(0.5)\n"
CONVERTED = "import time\nimport asyncio\n\n\nasync def poll():\n    await asyncio.sleep(0.5)\n"
UNTOUCHED = "import time\n\n\ndef poll():\n    time.sleep(0.5)\n"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "tasks.py").write_text(ASYNC_SLEEP)
    (root / "pkg" / "sync.py").write_text(UNTOUCHED)
    return root


def apply(root: Path, *args: str):
    return runner.invoke(app, ["apply", "--recipe", "stdlib-blocking", "--root", str(root),
                               *args])


def test_diff_is_the_default_and_writes_nothing(project):
    result = apply(project, str(project / "pkg"))
    assert result.exit_code == 1, result.output
    assert "+    await asyncio.sleep(0.5)" in result.stdout
    assert "--- a/pkg/tasks.py" in result.stdout
    assert (project / "pkg" / "tasks.py").read_text() == ASYNC_SLEEP
    assert not (project / ".asyncify").exists()


def test_write_then_undo_restores_exact_bytes(project):
    sync_before = (project / "pkg" / "sync.py").stat()
    result = apply(project, str(project / "pkg"), "--write")
    assert result.exit_code == 0, result.output
    assert (project / "pkg" / "tasks.py").read_text() == CONVERTED
    after = (project / "pkg" / "sync.py").stat()
    assert (after.st_mtime_ns, after.st_ino) == (sync_before.st_mtime_ns, sync_before.st_ino)
    again = apply(project, str(project / "pkg"), "--write")
    assert again.exit_code == 0 and "rewrote 0 file(s)" in again.stderr
    undone = runner.invoke(app, ["undo", "--root", str(project)])
    assert undone.exit_code == 0, undone.output
    assert (project / "pkg" / "tasks.py").read_text() == ASYNC_SLEEP


@pytest.mark.parametrize(("name", "data"), [
    ("crlf", ASYNC_SLEEP.replace("\n", "\r\n").encode()),
    ("bom", b"\xef\xbb\xbf" + ASYNC_SLEEP.encode()),
    ("latin1", ("# -*- coding: latin-1 -*-\n" + ASYNC_SLEEP + "NAME = 'caf\xe9'\n")
     .encode("latin-1")),
])
def test_encoding_bom_and_line_endings_are_kept(tmp_path, name, data):
    root = tmp_path / name
    root.mkdir()
    target = root / "mod.py"
    target.write_bytes(data)
    result = apply(root, str(target), "--write")
    assert result.exit_code == 0, result.output
    new = target.read_bytes()
    if name == "crlf":
        assert b"\r\n" in new and b"\n" not in new.replace(b"\r\n", b"")
        assert b"await asyncio.sleep(0.5)\r\n" in new
    if name == "bom":
        assert new.startswith(b"\xef\xbb\xbf") and b"await asyncio.sleep" in new
    if name == "latin1":
        assert "NAME = 'caf\xe9'".encode("latin-1") in new and b"await asyncio.sleep" in new
    assert runner.invoke(app, ["undo", "--root", str(root)]).exit_code == 0
    assert target.read_bytes() == data


def test_bad_files_are_reported_and_the_run_goes_on(project, tmp_path):
    pkg = project / "pkg"
    # Both would be rewritten if they were readable (async code calling time.sleep): files no
    # rule could touch are not even parsed.
    (pkg / "broken.py").write_text("import time\nasync def f(:\n    time.sleep(1)\n")
    (pkg / "blob.py").write_bytes(b"import time\nasync def f():\n    time.sleep('\xff\xfe')\n")
    readonly = pkg / "readonly.py"
    readonly.write_text(ASYNC_SLEEP)
    readonly.chmod(stat.S_IRUSR)
    outside = tmp_path / "outside.py"
    outside.write_text(ASYNC_SLEEP)
    (pkg / "link.py").symlink_to(outside)
    result = apply(project, str(pkg / "broken.py"), str(pkg / "blob.py"), str(readonly),
                   str(pkg / "link.py"), str(pkg / "tasks.py"), "--write")
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 1
    assert any(line.startswith("pkg/broken.py: failed: syntax error") for line in lines)
    assert any(line.startswith("pkg/blob.py: failed:") for line in lines)
    if os.geteuid() != 0:  # root writes read-only files anyway
        assert any("pkg/readonly.py: failed" in line and "read-only" in line for line in lines)
    assert any(line.startswith("pkg/link.py: skipped:") and "outside the project root" in line
               for line in lines)
    assert (pkg / "tasks.py").read_text() == CONVERTED
    assert outside.read_text() == ASYNC_SLEEP
    assert (pkg / "broken.py").read_text() == "import time\nasync def f(:\n    time.sleep(1)\n"


def test_dirty_git_tree_is_refused(project):
    git = ["git", "-c", "user.email=t@t", "-c", "user.name=t"]
    subprocess.run([*git, "init", "-q"], cwd=project, check=True)
    subprocess.run([*git, "add", "."], cwd=project, check=True)
    subprocess.run([*git, "commit", "-qm", "init"], cwd=project, check=True)
    (project / "pkg" / "sync.py").write_text(UNTOUCHED + "# edited\n")
    refused = apply(project, str(project / "pkg"), "--write")
    assert refused.exit_code == 2
    assert "uncommitted changes (pkg/sync.py)" in refused.stderr
    assert (project / "pkg" / "tasks.py").read_text() == ASYNC_SLEEP
    allowed = apply(project, str(project / "pkg"), "--write", "--allow-dirty")
    assert allowed.exit_code == 0


def test_undo_refuses_to_clobber_later_edits(project):
    assert apply(project, str(project / "pkg"), "--write").exit_code == 0
    tasks = project / "pkg" / "tasks.py"
    tasks.write_text(CONVERTED + "# my edit\n")
    refused = runner.invoke(app, ["undo", "--root", str(project)])
    assert refused.exit_code == 2 and "changed since asyncify wrote it" in refused.stderr
    assert tasks.read_text().endswith("# my edit\n")
    forced = runner.invoke(app, ["undo", "--root", str(project), "--force"])
    assert forced.exit_code == 0
    assert tasks.read_text() == ASYNC_SLEEP
    nothing = runner.invoke(app, ["undo", "--root", str(project)])
    assert nothing.exit_code == 2 and "nothing to undo" in nothing.stderr


@pytest.mark.parametrize(("args", "message"), [
    (["--recipe", "stdlib-blockin"], "did you mean 'stdlib-blocking'"),
    (["--recipe", "stdlib-blocking", "--only", "ASY5O1"], "unknown rule ID 'ASY5O1'"),
    (["--recipe", "stdlib-blocking", "--only", "ASY501", "--skip", "ASY501"], "leave no rule"),
])
def test_unknown_recipe_and_rule_ids(project, args, message):
    result = runner.invoke(app, ["apply", *args, "--root", str(project), str(project / "pkg")])
    assert result.exit_code == 2
    assert message in result.stderr


def test_only_and_skip_select_rules(project):
    skipped = apply(project, str(project / "pkg"), "--skip", "ASY501")
    assert skipped.exit_code == 0 and skipped.stdout == ""
    only = apply(project, str(project / "pkg"), "--only", "ASY501,ASY502")
    assert only.exit_code == 1 and "asyncio.sleep" in only.stdout


def test_missing_path_is_a_usage_error(project):
    result = apply(project, str(project / "nope.py"))
    assert result.exit_code == 2 and "does not exist" in result.stderr


def test_todo_markers_are_reported(project):
    (project / "pkg" / "files.py").write_text(
        "async def load(p):\n    with open(p) as f:\n        return f.read()\n")
    result = apply(project, str(project / "pkg" / "files.py"), "--json")
    assert result.exit_code == 1
    assert "pkg/files.py:2: ASY503: open() blocks the event loop" in result.stderr
    assert '"rule": "ASY503"' in result.stdout
