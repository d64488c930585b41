"""The diffs `apply` prints are patches `git apply` takes: a last line without a newline is
marked (``\\ No newline at end of file``), and lines end at ``\\n`` only (a form feed or a
CR inside a line does not split it)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from asyncify._recipe_run import unified_diff

FILES = {  # path: (legacy bytes or None for a new file, new bytes)
    "no_newline.py": (b"x = 1\ny = 2", b"x = 1\ny = 3"),
    "gains_newline.py": (b"x = 1", b"x = 2\n"),
    "crlf_and_formfeed.py": (b"a = 1\r\nb = '\x0c'\nc = 3\n", b"a = 1\r\nb = '\x0c'\nc = 4\n"),
    "new.py": (None, b"created = True"),
}


def test_git_applies_the_printed_diff(tmp_path: Path) -> None:
    git = ["git", "-c", "user.email=t@t", "-c", "user.name=t"]
    subprocess.run([*git, "init", "-q"], cwd=tmp_path, check=True)
    for name, (old, _) in FILES.items():
        if old is not None:
            (tmp_path / name).write_bytes(old)
    subprocess.run([*git, "add", "."], cwd=tmp_path, check=True)
    subprocess.run([*git, "commit", "-qm", "legacy"], cwd=tmp_path, check=True)
    patch = "".join(unified_diff(name, old, new) for name, (old, new) in FILES.items())
    assert patch.count("\\ No newline at end of file") == 4
    (tmp_path / "change.diff").write_bytes(patch.encode())
    subprocess.run([*git, "apply", "change.diff"], cwd=tmp_path, check=True,
                   capture_output=True)
    for name, (_, new) in FILES.items():
        assert (tmp_path / name).read_bytes() == new, name
