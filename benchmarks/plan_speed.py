"""Benchmark: `asyncify plan` cold and warm on a generated ~200k-line project.

The project is made of renamed copies of the sample projects' packages (bookshop, gateway),
so it has realistic imports, blueprints and helpers. In the same run it times the anchors:
bare `ast.parse` and bare `libcst.parse_module` of the same files. Prints lines/s and ratios.

Budgets (docs/benchmarks.md): cold >= 50k lines/s per core; warm < 1 s.

    python benchmarks/plan_speed.py [--lines 200000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import ast
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = [ROOT / "sample_projects" / "bookshop" / "bookshop",
           ROOT / "sample_projects" / "gateway" / "gateway"]


def generate(
    target: Path, want_lines: int, rewrite: Callable[[str], str] = lambda text: text
) -> tuple[int, int]:
    """Copy the sample packages under new names until ``want_lines`` lines exist
    (``rewrite`` is applied to each module's text first; other benchmarks share this)."""
    sources = []
    for package in SAMPLES:
        for path in sorted(package.rglob("*.py")):
            sources.append((package.name, path.relative_to(package), rewrite(path.read_text())))
    per_copy = sum(text.count("\n") for _, _, text in sources)
    copies = max(1, -(-want_lines // per_copy))
    files = 0
    for n in range(copies):
        for package, rel, text in sources:
            new = f"{package}_{n:04d}"
            renamed = re.sub(rf"\b{package}\b", new, text)
            out = target / new / rel
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(renamed)
            files += 1
    return files, copies * per_copy


def best_of(runs: int, fn) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def run_plan(project: Path, *extra: str) -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "asyncify", "plan", str(project), "--format", "json",
         "--output", os.devnull, *extra],
        check=True, stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=200_000)
    parser.add_argument("--keep", type=Path, help="generate into this directory and keep it")
    args = parser.parse_args()
    workdir = args.keep or Path(tempfile.mkdtemp(prefix="asyncify-plan-bench-"))
    try:
        shutil.rmtree(workdir, ignore_errors=True)
        workdir.mkdir(parents=True)
        files, lines = generate(workdir, args.lines)
        texts = [p.read_text() for p in workdir.rglob("*.py")]
        cores = os.cpu_count() or 1
        print(f"project: {files} files, {lines:,} lines; {cores} cores")

        def parse_all(parse) -> None:
            for text in texts:  # the tree is dropped at once, as plan drops it
                parse(text)

        t_ast = best_of(3, lambda: parse_all(ast.parse))
        import libcst

        t_cst = best_of(1, lambda: parse_all(libcst.parse_module))

        cold_1 = min(run_plan(workdir, "--no-cache", "--workers", "1") for _ in range(2))
        cold_n = min(run_plan(workdir, "--no-cache") for _ in range(2))
        shutil.rmtree(workdir / ".asyncify-cache", ignore_errors=True)
        first = run_plan(workdir)
        warm = min(run_plan(workdir) for _ in range(3))

        rows = [
            ("ast.parse (anchor)", t_ast),
            ("libcst.parse_module", t_cst),
            ("plan cold, 1 worker", cold_1),
            (f"plan cold, {cores} workers", cold_n),
            ("plan cold, filling the cache", first),
            ("plan warm (cache)", warm),
        ]
        print(f"{'what':32} {'seconds':>8} {'lines/s':>10} {'vs ast.parse':>13}")
        for name, seconds in rows:
            print(f"{name:32} {seconds:8.3f} {lines / seconds:10,.0f} {seconds / t_ast:12.2f}x")
        per_core = lines / cold_1
        print()
        print(f"cold per core: {per_core:,.0f} lines/s (budget >= 50,000): "
              f"{'met' if per_core >= 50_000 else 'NOT met'}")
        print(f"warm: {warm:.3f} s (budget < 1 s): {'met' if warm < 1 else 'NOT met'}")
        print(f"plan cold is {t_cst / cold_1:.1f}x faster than libcst parsing alone")
    finally:
        if args.keep is None:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
