"""Regenerate the golden migrated code of the sample projects (tests/golden/<pkg>_async/).

The golden trees are what `asyncify apply` writes when every endpoint of a sample is
migrated, in the order `asyncify plan` recommends. tests/test_apply_golden.py
fails when the generated code drifts from them; after a deliberate change to the rules or the
twin generator, run this script and review the diff like any other code change:

    python scripts/regen_golden.py            # rewrite tests/golden/
    python scripts/regen_golden.py --check    # exit 1 and list the drifted files
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from asyncify import api
from asyncify._endpoints import discover_endpoints
from asyncify.errors import UsageError
from asyncify.migrate import select

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "sample_projects"
GOLDEN = REPO / "tests" / "golden"
PACKAGES = ("bookshop", "gateway", "notes")


def migrate_copy(package: str, root: Path) -> Path:
    """Copy the sample ``package`` into ``root`` and apply every endpoint `apply ENDPOINT`
    accepts, in plan order, in one run; returns the twin package's directory. (One run over
    all of them writes what the endpoint-by-endpoint loop ends with: the twins are
    regenerated from the legacy code for the whole manifest on every run.)"""
    shutil.copytree(SAMPLES / package / package, root / package,
                    ignore=shutil.ignore_patterns("__pycache__"))
    _, graph, _ = api.analyse_project(root, use_cache=False)
    endpoints, _ = discover_endpoints(graph.resolver)
    accepted = []
    for endpoint in _plan_order(root):
        try:
            select(endpoints, [endpoint])
        except UsageError as refused:
            print(f"{package}: {endpoint} stays legacy: {refused}", file=sys.stderr)
            continue  # refused by `apply ENDPOINT` (see docs/apply.md): stays legacy
        accepted.append(endpoint)
    api.apply_endpoints(accepted, root=root, write=True, allow_dirty=True)
    return root / f"{package}_async"


def generate(package: str) -> dict[str, bytes]:
    """``{path relative to the twin package: bytes}`` for the fully migrated ``package``."""
    with tempfile.TemporaryDirectory(prefix=f"golden-{package}-") as tmp:
        twin = migrate_copy(package, Path(tmp))
        return {
            path.relative_to(twin).as_posix(): path.read_bytes()
            for path in sorted(twin.rglob("*"))
            if path.is_file() and "__pycache__" not in path.parts
        }


def _plan_order(root: Path) -> list[str]:
    from asyncify.planner import to_data

    plan = to_data(api.plan(root, use_cache=False))
    return [endpoint["id"] for endpoint in plan["endpoints"]]


def drift(package: str, generated: dict[str, bytes]) -> list[str]:
    """The files of the golden tree that differ from ``generated`` (missing, extra, changed)."""
    golden = GOLDEN / f"{package}_async"
    on_disk = {
        path.relative_to(golden).as_posix(): path.read_bytes()
        for path in sorted(golden.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    } if golden.is_dir() else {}
    return sorted(name for name in on_disk.keys() | generated.keys()
                  if on_disk.get(name) != generated.get(name))


def write(package: str, generated: dict[str, bytes]) -> None:
    golden = GOLDEN / f"{package}_async"
    if golden.exists():
        shutil.rmtree(golden)
    for name, data in generated.items():
        target = golden / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report drift (exit 1)")
    args = parser.parse_args(argv)
    drifted = False
    for package in PACKAGES:
        generated = generate(package)
        changed = drift(package, generated)
        if args.check:
            for name in changed:
                print(f"tests/golden/{package}_async/{name}: drifted", file=sys.stderr)
            drifted = drifted or bool(changed)
        else:
            write(package, generated)
            print(f"tests/golden/{package}_async: {len(generated)} file(s), "
                  f"{len(changed)} changed", file=sys.stderr)
    return 1 if drifted else 0


if __name__ == "__main__":
    raise SystemExit(main())
