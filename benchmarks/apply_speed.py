"""Benchmark: `asyncify apply --recipe` over a generated ~100k-line project whose files all
change, against the libcst codemod CLI running a no-op transformer on the same files.

The project is made of renamed copies of the sample projects' modules with every `def` turned
into `async def`, so the requests and stdlib rules fire on real call sites. Both tools run as
the user would run them (their own command lines, default parallelism, diff to /dev/null), in
one run. Prints lines/s and the ratio. Budget (docs/benchmarks.md): >= 5x the libcst CLI.

    python benchmarks/apply_speed.py [--lines 100000]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = [ROOT / "sample_projects" / "bookshop" / "bookshop",
           ROOT / "sample_projects" / "gateway" / "gateway"]

NOOP = textwrap.dedent("""
    import libcst as cst
    from libcst.codemod import VisitorBasedCodemodCommand


    class NoopCommand(VisitorBasedCodemodCommand):
        DESCRIPTION = "Changes nothing: the cost of parsing and printing alone."

        def leave_Module(self, original_node, updated_node):
            return updated_node
""")


def generate(target: Path, want_lines: int) -> tuple[int, int]:
    sources = []
    for package in SAMPLES:
        for path in sorted(package.rglob("*.py")):
            text = re.sub(r"^(\s*)def ", r"\1async def ", path.read_text(), flags=re.MULTILINE)
            sources.append((package.name, path.relative_to(package), text))
    per_copy = sum(text.count("\n") for _, _, text in sources)
    copies = max(1, -(-want_lines // per_copy))
    files = 0
    for n in range(copies):
        for package, rel, text in sources:
            out = target / f"{package}_{n:04d}" / rel
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(re.sub(rf"\b{package}\b", f"{package}_{n:04d}", text))
            files += 1
    return files, copies * per_copy


def timed(command: list[str], env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
                   check=False)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=100_000)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="asyncify-apply-bench-"))
    try:
        project = work / "project"
        files, lines = generate(project, args.lines)
        (work / "noop_codemod.py").write_text(NOOP)
        print(f"project: {files} files, {lines:,} lines; {os.cpu_count()} cores")
        env = {**os.environ, "PYTHONPATH": str(work)}
        libcst_cli = [sys.executable, "-m", "libcst.tool", "codemod", "-x",
                      "noop_codemod.NoopCommand", "--no-format", "--hide-progress",
                      "-u", "0", str(project)]
        t_libcst = timed(libcst_cli, env)
        rows = [("libcst codemod CLI, no-op (anchor)", t_libcst)]
        for recipe in ("stdlib-blocking", "requests-to-httpx"):
            command = [sys.executable, "-m", "asyncify", "apply", "--recipe", recipe,
                       "--root", str(project), str(project)]
            rows.append((f"asyncify apply --recipe {recipe}", timed(command)))
        print(f"{'what':44} {'seconds':>8} {'lines/s':>9} {'vs libcst':>9}")
        for name, seconds in rows:
            print(f"{name:44} {seconds:8.2f} {lines / seconds:9,.0f} "
                  f"{t_libcst / seconds:8.1f}x")
        worst = max(seconds for _, seconds in rows[1:])
        ratio = t_libcst / worst
        print(f"\nslowest recipe is {ratio:.1f}x the libcst CLI (budget >= 5x): "
              f"{'met' if ratio >= 5 else 'NOT met'}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
