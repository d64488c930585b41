"""Running a recipe over files: collect them, transform each (in worker processes for large
sets), then write the changed ones through the journal, or not at all."""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

from ._journal import Journal
from ._project import discover
from ._scope import settled_contexts
from ._write import inside_root, refuse_dirty
from .codemods import NO_CONTEXT, FileContext, Outcome, transform
from .codemods.flask_fastapi._callers import project_side
from .codemods.flask_fastapi._common import RULES as FLASK_RULES
from .errors import AsyncifyError, UsageError

# Await propagation: added to any recipe run with ``propagate``.
PROPAGATION = ("ASY901", "ASY902")

Progress = Callable[[int, int], None]
_PARALLEL_MIN_FILES = 40


@dataclass
class RecipeRun:
    root: Path
    rules: list[str]
    outcomes: list[Outcome] = field(default_factory=list)
    written: list[str] = field(default_factory=list)
    journal: str | None = None

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)


def collect(paths: Sequence[Path], root: Path) -> tuple[list[tuple[str, Path]], list[Outcome]]:
    """The .py files named or found under ``paths``, as (path relative to root, file).

    :raises UsageError: a path does not exist.
    """
    files: dict[str, Path] = {}
    problems: list[Outcome] = []
    for path in paths:
        if not path.exists() and not path.is_symlink():
            raise UsageError(f"path {str(path)!r} does not exist")
        candidates = (
            [s.path for s in discover(path).files] if path.is_dir() else [path]
        )
        for candidate in candidates:
            shown = os.path.relpath(candidate.absolute(), root)
            if path.is_dir() and _generated(candidate, path):
                problems.append(Outcome(shown, "skipped", "written by asyncify apply (a twin "
                                        "package): re-run apply to regenerate it"))
                continue
            try:
                resolved = inside_root(root, candidate)
            except AsyncifyError as exc:
                problems.append(Outcome(shown, "skipped", str(exc).partition(": ")[2]))
                continue
            files.setdefault(shown, resolved)
    return sorted(files.items()), problems


def _generated(file: Path, top: Path) -> bool:
    """Whether ``file`` is in a twin package ``asyncify apply`` wrote under ``top`` (a
    directory holding its manifest): a recipe run over the project must not rewrite it (it
    awaited the already awaited calls again)."""
    from .migrate import MANIFEST  # migrate writes through this module: imported here

    for parent in file.parents:
        if (parent / MANIFEST).is_file() and _written_by_apply(parent):
            return True
        if parent == top or parent == parent.parent:
            return False
    return False


def _written_by_apply(package: Path) -> bool:
    """The package's entry point or ``__init__`` carries apply's header (a user's own
    ``migrated.txt`` elsewhere does not make a directory a twin package)."""
    for name in ("main.py", "standalone.py", "__init__.py"):
        try:
            head = (package / name).read_bytes()[:600]
        except OSError:
            continue
        if b"written by `asyncify apply`" in head:
            return True
    return False


def run_recipe(
    paths: Sequence[Path],
    rules: Sequence[str],
    *,
    root: Path,
    write: bool,
    allow_dirty: bool = False,
    workers: int | None = None,
    progress: Progress | None = None,
    propagate: bool = False,
) -> RecipeRun:
    """Transform the files; write the changed ones when ``write`` (journaled, undoable).

    With ``propagate``, the project under ``root`` is analysed first and await propagation
    (ASY901/ASY902) turns every function whose blocking calls the rules all convert into
    ``async def``, awaiting its call sites across the given files.

    :raises UsageError: a path does not exist, or the git tree is dirty and writing.
    """
    root = root.resolve()
    if write:
        refuse_dirty(root, allow_dirty)
    files, problems = collect(paths, root)
    run = RecipeRun(root, list(rules), outcomes=problems)
    sources: list[tuple[str, bytes]] = []
    for shown, path in files:
        try:
            sources.append((shown, path.read_bytes()))
        except OSError as exc:
            run.outcomes.append(Outcome(shown, "failed", f"cannot read: {exc.strerror or exc}"))
    contexts: dict[str, FileContext] = {}
    if propagate:
        rules = [*rules, *(r for r in PROPAGATION if r not in rules)]
        contexts = _contexts(root, [shown for shown, _ in sources], rules)
    if FLASK_RULES & set(rules):  # who calls each helper, for the Flask→FastAPI rules
        for shown, side in project_side(root, dict(sources)).items():
            contexts[shown] = replace(contexts.get(shown, NO_CONTEXT), flask_side=side.functions,
                                      flask_owners=side.owners)
    run.rules = list(rules)
    run.outcomes.extend(_transform_all(sources, list(rules), workers, progress, contexts))
    run.outcomes.sort(key=lambda o: o.path)
    originals = dict(sources)
    for outcome in run.outcomes:
        if outcome.status == "changed" and outcome.new is not None:
            outcome.diff = unified_diff(outcome.path, originals[outcome.path], outcome.new)
    if write:
        run.written, run.journal = write_outcomes(
            root, "apply --recipe " + " ".join(rules), run.outcomes)
    return run


def write_outcomes(root: Path, command: str, outcomes: Sequence[Outcome]) -> tuple[list[str], str | None]:
    """Write every changed outcome through one journal run; a file that cannot be written
    becomes a failed outcome and the others still go. Returns the paths written and the
    journal's run id (``None`` when nothing was written)."""
    journal = Journal(root, command)
    written = []
    for outcome in outcomes:
        if outcome.status != "changed" or outcome.new is None:
            continue
        try:
            journal.write(root / outcome.path, outcome.new)
        except AsyncifyError as exc:
            outcome.status, outcome.reason = "failed", str(exc).partition(": ")[2]
            continue
        written.append(outcome.path)
    return written, journal.run_id if written else None


def _contexts(root: Path, files: list[str], rules: Sequence[str]) -> dict[str, FileContext]:
    from .api import analyse_project

    _, graph, _ = analyse_project(root)
    return settled_contexts(graph, files, rules)


def _transform_all(
    sources: list[tuple[str, bytes]], rules: list[str], workers: int | None,
    progress: Progress | None, contexts: dict[str, FileContext],
) -> list[Outcome]:
    total = len(sources)
    count = workers if workers is not None else min(os.cpu_count() or 1, 8)
    if count <= 1 or total < _PARALLEL_MIN_FILES:
        results = []
        for done, (shown, data) in enumerate(sources, 1):
            results.append(transform(shown, data, rules, contexts.get(shown, NO_CONTEXT)))
            if progress is not None:
                progress(done, total)
        return results
    results = []
    with ProcessPoolExecutor(max_workers=count) as pool:
        chunk = max(1, total // (count * 4))
        mapped = pool.map(transform, [s for s, _ in sources], [d for _, d in sources],
                          [rules] * total,
                          [contexts.get(s, NO_CONTEXT) for s, _ in sources], chunksize=chunk)
        for done, outcome in enumerate(mapped, 1):
            results.append(outcome)
            if progress is not None:
                progress(done, total)
    return results


def unified_diff(path: str, old: bytes | None, new: bytes) -> str:
    """The change as a unified diff of the decoded text (undecodable bytes shown replaced),
    as ``git diff`` writes it (``git apply`` takes it): lines end at ``\\n`` only, and a
    last line without one is followed by ``\\ No newline at end of file``. ``old`` is
    ``None`` for a file that does not exist yet."""
    diff = difflib.unified_diff(
        _diff_lines(old or b""), _diff_lines(new),
        f"a/{path}" if old is not None else "/dev/null", f"b/{path}",
    )
    return "".join(line if line.endswith("\n") else f"{line}\n\\ No newline at end of file\n"
                   for line in diff)


def _diff_lines(data: bytes) -> list[str]:
    return _LINES.findall(data.decode("utf-8", "replace"))


_LINES = re.compile(r"[^\n]*\n|[^\n]+\Z")
