"""Benchmark: `asyncify apply --recipe` over a generated ~100k-line project whose files all
change, against the libcst codemod CLI running a no-op transformer on the same files.

The project is made of renamed copies of the sample projects' modules with every `def` turned
into `async def`, so the requests and stdlib rules fire on real call sites (and its Flask apps
and blueprints give flask-to-fastapi routes to convert and a project-level pass to make). Both
tools run as the user would run them (their own command lines, default parallelism, diff to
/dev/null), in one run. Prints lines/s and the ratio. Budget (docs/benchmarks.md): >= 5x the
libcst CLI.

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

from plan_speed import generate

NOOP = textwrap.dedent("""
    import libcst as cst
    from libcst.codemod import VisitorBasedCodemodCommand


    class NoopCommand(VisitorBasedCodemodCommand):
        DESCRIPTION = "Changes nothing: the cost of parsing and printing alone."

        def leave_Module(self, original_node, updated_node):
            return updated_node
""")


def async_defs(text: str) -> str:
    """Every ``def`` becomes ``async def``: the rules then fire on every blocking call."""
    return re.sub(r"^(\s*)def ", r"\1async def ", text, flags=re.MULTILINE)


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
        files, lines = generate(project, args.lines, async_defs)
        (work / "noop_codemod.py").write_text(NOOP)
        print(f"project: {files} files, {lines:,} lines; {os.cpu_count()} cores")
        env = {**os.environ, "PYTHONPATH": str(work)}
        libcst_cli = [sys.executable, "-m", "libcst.tool", "codemod", "-x",
                      "noop_codemod.NoopCommand", "--no-format", "--hide-progress",
                      "-u", "0", str(project)]
        t_libcst = timed(libcst_cli, env)
        rows = [("libcst codemod CLI, no-op (anchor)", t_libcst)]
        for recipe in ("stdlib-blocking", "requests-to-httpx", "flask-to-fastapi"):
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
