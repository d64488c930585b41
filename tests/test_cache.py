"""The summary cache: a warm run parses nothing, a changed file is parsed again, and a broken
cache only costs time."""

from __future__ import annotations

import os

from asyncify import api

FILES = {
    "svc.py": """
        import time
        from flask import Flask

        app = Flask(__name__)

        @app.route("/")
        def index():
            time.sleep(0.01)
            return ""
    """,
    "helpers.py": "def pure():\n    return 1\n",
}


def test_warm_run_parses_nothing_and_gives_the_same_plan(write_project):
    root = write_project(FILES)
    cold = api.plan(root)
    warm = api.plan(root)
    assert (cold.parsed, warm.parsed) == (2, 0)
    assert [e.analysis.blocking for e in cold.endpoints] == [
        e.analysis.blocking for e in warm.endpoints
    ]
    cache_dir = root / ".asyncify-cache"
    assert (cache_dir / ".gitignore").read_text().splitlines()[-1] == "*"


def test_changed_file_is_parsed_again(write_project):
    root = write_project(FILES)
    api.plan(root)
    svc = root / "svc.py"
    svc.write_text(svc.read_text().replace("time.sleep(0.01)", "pass"))
    stat = svc.stat()
    os.utime(svc, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    again = api.plan(root)
    assert again.parsed == 1
    assert not again.endpoints[0].analysis.has_io


def test_broken_cache_is_ignored(write_project):
    root = write_project(FILES)
    api.plan(root)
    for path in (root / ".asyncify-cache").glob("*.pickle"):
        path.write_bytes(b"not a pickle")
    again = api.plan(root)
    assert again.parsed == 2
    assert again.endpoints[0].analysis.has_io


def test_no_cache_writes_nothing(write_project):
    root = write_project(FILES)
    before = sorted(p.name for p in root.iterdir())
    api.plan(root, use_cache=False)
    assert sorted(p.name for p in root.iterdir()) == before


def test_parallel_workers_give_the_same_plan(write_project):
    files = dict(FILES)
    # Enough source to cross the threshold at which worker processes are used.
    filler = "\n".join(f"def f{i}(x):\n    return x + {i}\n" for i in range(4000))
    for n in range(12):
        files[f"pkg/mod{n}.py"] = filler
    files["pkg/__init__.py"] = ""
    root = write_project(files)
    serial = api.plan(root, use_cache=False, workers=1)
    parallel = api.plan(root, use_cache=False, workers=2)
    assert serial.lines == parallel.lines > 90_000
    assert [e.analysis.blocking for e in serial.endpoints] == [
        e.analysis.blocking for e in parallel.endpoints
    ]
