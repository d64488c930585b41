"""Benchmark: `asyncify check` against `asyncify plan` on the same generated ~200k-line project.

The project comes from plan_speed's generator (renamed copies of the sample packages). Each
command runs cold (no cache, 1 worker and all cores) and warm (cache filled), in the same run,
so the ratios compare like with like. An async twin (tests/check/corpus/bookshop_half) is
mixed in, copied many times, so the transitive rules have async code to walk.

Budgets (docs/benchmarks.md): check cold <= 1.5x plan cold; check warm < 1 s.

    python benchmarks/check_speed.py [--lines 200000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from plan_speed import generate

ROOT = Path(__file__).resolve().parents[1]
TWIN = ROOT / "tests" / "check" / "corpus" / "bookshop_half" / "shop"
TWIN_COPIES = 50


def add_async_twins(target: Path) -> int:
    files = 0
    for n in range(TWIN_COPIES):
        name = f"shop_{n:04d}"
        for path in sorted(TWIN.rglob("*.py")):
            out = target / name / path.relative_to(TWIN)
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(re.sub(r"\bshop\b", name, path.read_text()))
            files += 1
    return files


def timed(*args: str) -> float:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "asyncify", *args], stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL)
    if done.returncode not in (0, 1):
        raise SystemExit(f"asyncify {' '.join(args)} failed with {done.returncode}")
    return time.perf_counter() - start


def _time(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=200_000)
    parser.add_argument("--keep", type=Path, help="generate into this directory and keep it")
    args = parser.parse_args()
    workdir = args.keep or Path(tempfile.mkdtemp(prefix="asyncify-check-bench-"))
    try:
        shutil.rmtree(workdir, ignore_errors=True)
        workdir.mkdir(parents=True)
        files, lines = generate(workdir, args.lines)
        files += add_async_twins(workdir)
        lines = sum(p.read_text().count("\n") for p in workdir.rglob("*.py"))
        cores = os.cpu_count() or 1
        print(f"project: {files} files, {lines:,} lines; {cores} cores")
        project = str(workdir)
        plan = ["plan", project, "--format", "json", "--output", os.devnull]
        check = ["check", project, "--format", "json", "--output", os.devnull]
        rows = []
        for label, extra in [("cold, 1 worker", ["--no-cache", "--workers", "1"]),
                             (f"cold, {cores} workers", ["--no-cache"])]:
            p = min(timed(*plan, *extra) for _ in range(2))
            c = min(timed(*check, *extra) for _ in range(2))
            rows.append((label, p, c))
        shutil.rmtree(workdir / ".asyncify-cache", ignore_errors=True)
        timed(*plan)
        timed(*check)
        p = min(timed(*plan) for _ in range(3))
        c = min(timed(*check) for _ in range(3))
        rows.append(("warm (cache)", p, c))
        # The same warm runs in-process: what the API costs without the CLI's imports.
        from asyncify import api

        p = min(_time(lambda: api.plan(workdir)) for _ in range(3))
        c = min(_time(lambda: api.check(workdir)) for _ in range(3))
        rows.append(("warm, in-process", p, c))
        print(f"{'run':20} {'plan s':>8} {'check s':>8} {'check/plan':>11} {'check lines/s':>14}")
        for label, p, c in rows:
            print(f"{label:20} {p:8.3f} {c:8.3f} {c / p:10.2f}x {lines / c:14,.0f}")
        cold_ratio = rows[0][2] / rows[0][1]
        warm = rows[-2][2]
        print()
        print(f"check cold / plan cold: {cold_ratio:.2f}x (budget <= 1.5x): "
              f"{'met' if cold_ratio <= 1.5 else 'NOT met'}")
        print(f"check warm: {warm:.3f} s (budget < 1 s): {'met' if warm < 1 else 'NOT met'}; "
              f"in-process {rows[-1][2]:.3f} s")
    finally:
        if args.keep is None:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
