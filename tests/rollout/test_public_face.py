"""``asyncify.rollout``'s public face: sorted, complete, and cheap to import."""

from __future__ import annotations

import subprocess
import sys

import asyncify.rollout as rollout


def test_all_is_sorted_and_importable() -> None:
    exported = rollout.__all__
    assert exported == sorted(exported, key=lambda n: (
        0 if n.isupper() else 1 if n[0].isupper() else 2, n))
    for name in exported:
        assert getattr(rollout, name) is not None


def test_import_pulls_in_no_redis_prometheus_or_openfeature() -> None:
    code = ("import sys, asyncify.cli, asyncify.rollout\n"
            "from asyncify.rollout import Rollout, FileStore, decide\n"
            "print(sorted(m for m in ('redis', 'prometheus_client', 'openfeature') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=60)
    assert out.stdout.strip() == "[]"
