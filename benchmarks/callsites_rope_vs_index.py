"""Study: finding call sites, asyncify's index vs rope (issue 3).

For every function and method defined in the sample packages (bookshop, gateway), list the
call sites each approach finds and score them against a ground truth:

- **index**: ``asyncify.api.analyse_project`` (cache off); the call sites of ``f`` are the
  ``kind == "call"`` edges of ``graph.callers[f]``.
- **rope**: ``rope.refactor.occurrences.create_finder`` (what
  ``rope.contrib.findit.find_occurrences`` builds; ``in_hierarchy=True`` for methods) on the
  name in ``f``'s ``def`` header, ``unsure=False``; the project opened with ``ropefolder=None``
  (nothing written to disk), default preferences.
- **rope+SOA**: the same, after ``rope.base.libutils.analyze_modules`` (rope's static object
  analysis of every module: it records the arguments and return values it can infer).
- **rope+unsure**: rope with ``unsure=True``: also the occurrences of the name whose object
  rope cannot tell (what rope's rename offers as "unsure" matches).

A *call site* of ``f`` is an ``ast.Call`` in the project whose evaluation runs ``f``'s body
directly: the places ``apply --propagate`` must ``await``. Constructor calls ``C(...)`` count
as call sites of the ``__init__`` that ``C`` uses. Not counted (not ``await`` sites; the index
records them as other edge kinds): decorator applications, a function passed as a value,
property reads, the ``def`` itself, ``import`` lines. Sites are keyed by
``(function, file, line, column)`` of the ``ast.Call`` node (column 1-based, as in the index).

Rope reports names, not calls; an occurrence is kept when rope says it is called
(``Occurrence.is_called()``: the name is followed by ``(``), it is not the ``def`` header
(``is_defined()``) and not in an ``import`` (``is_in_import_statement()``); it is then mapped
to the ``ast.Call`` whose callee expression ends where the name ends. For ``__init__`` rope
is also asked for the called occurrences of every class whose ``__init__`` (as rope resolves
the attribute, inherited ones included) is that method.

Ground truth: a site found by both the index and rope is taken as true (two independent
resolvers agree; the script can list them with ``--all``). Every other site that any approach
claims needs a verdict in ``benchmarks/callsites_truth.json`` (checked by hand, one line of
justification each); the file also lists true sites that no approach finds. The script stops
with an error when a verdict is missing, and prints the name-matched calls nobody claims
(``--all``) so those can be checked too.

    python benchmarks/callsites_rope_vs_index.py [--repeat 3] [--all]
"""

from __future__ import annotations

import argparse
import ast
import json
import statistics
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from rope.base import evaluate, libutils
from rope.base.exceptions import AttributeNotFoundError
from rope.base.project import Project
from rope.refactor import occurrences

from asyncify.api import analyse_project

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_projects"
PROJECTS = {"bookshop": SAMPLES / "bookshop", "gateway": SAMPLES / "gateway"}
TRUTH = Path(__file__).with_name("callsites_truth.json")
APPROACHES = ("index", "rope", "rope+SOA", "rope+unsure")
# The approaches whose disagreements must have a verdict (rope+unsure's extra claims are
# judged too when the truth file has them; otherwise they count as false, see --all).
JUDGED = ("index", "rope", "rope+SOA")

# (callee qname, file relative to the project root, line, 1-based column of the ast.Call)
Site = tuple[str, str, int, int]


@dataclass(frozen=True)
class Function:
    qname: str
    relpath: str
    line: int  # the ``def`` line
    name: str
    cls: str | None  # the enclosing class's name, for a method


@dataclass
class SourceInfo:
    relpath: str
    path: Path
    text: str
    calls: list[ast.Call]
    # (end line, end column in characters) of a call's callee expression -> the ast.Call
    by_callee_end: dict[tuple[int, int], ast.Call]


# --- the project's sources, read with ast (independent of both approaches) ---------------


def _char_col(line_text: str, byte_col: int) -> int:
    return len(line_text.encode("utf-8")[:byte_col].decode("utf-8", "replace"))


def read_sources(root: Path) -> dict[str, SourceInfo]:
    sources = {}
    for path in sorted(root.rglob("*.py")):
        relpath = path.relative_to(root).as_posix()
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines()
        calls = [n for n in ast.walk(ast.parse(text)) if isinstance(n, ast.Call)]
        by_end = {}
        for call in calls:
            end_line = call.func.end_lineno or call.func.lineno
            end_col = _char_col(lines[end_line - 1], call.func.end_col_offset or 0)
            by_end[(end_line, end_col)] = call
        sources[relpath] = SourceInfo(relpath, path, text, calls, by_end)
    return sources


def package_functions(root: Path, package: str) -> list[Function]:
    """Every ``def`` in the package, named as the index names them."""
    found = []
    for path in sorted((root / package).rglob("*.py")):
        relpath = path.relative_to(root).as_posix()
        module = relpath.removesuffix(".py").removesuffix("/__init__").replace("/", ".")

        def walk(node: ast.AST, prefix: str, cls: str | None, module: str = module,
                 relpath: str = relpath) -> None:
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                    qname = f"{prefix}.{child.name}"
                    found.append(Function(qname, relpath, child.lineno, child.name, cls))
                    walk(child, f"{qname}.<locals>", None)
                elif isinstance(child, ast.ClassDef):
                    walk(child, f"{prefix}.{child.name}", child.name)
                else:
                    walk(child, prefix, cls)

        walk(ast.parse(path.read_text(encoding="utf-8")), module, None)
    return found


def site_of(info: SourceInfo, call: ast.Call, callee: str) -> Site:
    return (callee, info.relpath, call.lineno, call.col_offset + 1)


def snippet(sources: dict[str, SourceInfo], site: Site) -> str:
    _, relpath, line, _ = site
    return sources[relpath].text.splitlines()[line - 1].strip()


# --- the index -----------------------------------------------------------------------------


def index_sites(root: Path, functions: list[Function]) -> set[Site]:
    _, graph, _ = analyse_project(root, use_cache=False)
    wanted = {f.qname for f in functions}
    missing = wanted - set(graph.functions)
    if missing:
        raise SystemExit(f"the index does not know these functions: {sorted(missing)}")
    found = set()
    for qname in wanted:
        for edge in graph.callers.get(qname, ()):
            if edge.kind == "call":
                caller = graph.functions[edge.caller].module.file.relpath
                found.add((qname, caller, edge.line, edge.col))
    return found


# --- rope ----------------------------------------------------------------------------------


def _offset_of_name(text: str, line: int, keyword: str, name: str) -> int:
    lines = text.splitlines(keepends=True)
    start = sum(len(x) for x in lines[: line - 1])
    header = lines[line - 1]
    at = header.index(f"{keyword} ", header.index(keyword))
    return start + header.index(name, at + len(keyword))


def _line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1)


def _called_occurrences(project: Project, resource, offset: int, name: str, *, method: bool,
                        unsure: bool) -> Iterable[occurrences.Occurrence]:
    """What ``findit.find_occurrences`` finds, as rope ``Occurrence``s: calls only."""
    pymodule = project.get_pymodule(resource)
    primary, pyname = evaluate.eval_location2(pymodule, offset)
    finder = occurrences.create_finder(
        project, name, pyname, unsure=(lambda _: True) if unsure else None,
        in_hierarchy=method, instance=primary,
    )
    for resource_ in project.get_python_files():
        for occ in finder.find_occurrences(resource_):
            if occ.is_defined() or occ.is_in_import_statement() or not occ.is_called():
                continue
            yield occ


def _rope_init_of(project: Project, resource, class_name: str) -> tuple[str, int] | None:
    """(file, line) of the ``__init__`` rope says ``class_name`` uses, when it is in the
    project."""
    pyclass = project.get_pymodule(resource)[class_name].get_object()
    try:
        init = pyclass["__init__"]
    except AttributeNotFoundError:
        return None
    module, line = init.get_definition_location()
    if module is None or line is None or module.get_resource() is None:
        return None
    return module.get_resource().path, line


def rope_sites(root: Path, functions: list[Function], sources: dict[str, SourceInfo], *,
               soa: bool, unsure: bool) -> tuple[set[Site], list[str]]:
    project = Project(str(root), ropefolder=None)
    problems: list[str] = []
    try:
        if soa:
            libutils.analyze_modules(project)
        by_def = {(f.relpath, f.line): f for f in functions}
        found: set[Site] = set()

        def record(occ: occurrences.Occurrence, callee: str) -> None:
            relpath = occ.resource.path
            info = sources.get(relpath)
            end = occ.get_word_range()[1]
            if info is None:
                problems.append(f"{callee}: occurrence in an unknown file {relpath}")
                return
            call = info.by_callee_end.get(_line_col(info.text, end))
            if call is None:
                problems.append(f"{callee}: no ast.Call ends at {relpath} offset {end}")
                return
            found.add(site_of(info, call, callee))

        for fn in functions:
            resource = libutils.path_to_resource(project, str(root / fn.relpath))
            offset = _offset_of_name(resource.read(), fn.line, "def", fn.name)
            for occ in _called_occurrences(project, resource, offset, fn.name,
                                           method=fn.cls is not None, unsure=unsure):
                record(occ, fn.qname)
        # Constructor calls: C(...) runs the __init__ rope resolves for C.
        package_files = {f.relpath for f in functions}
        for relpath, info in sources.items():
            if relpath not in package_files:
                continue
            for node in ast.walk(ast.parse(info.text)):
                if not isinstance(node, ast.ClassDef):
                    continue
                resource = libutils.path_to_resource(project, str(info.path))
                init = _rope_init_of(project, resource, node.name)
                target = by_def.get(init) if init else None
                if target is None:
                    continue
                offset = _offset_of_name(info.text, node.lineno, "class", node.name)
                for occ in _called_occurrences(project, resource, offset, node.name,
                                               method=False, unsure=unsure):
                    record(occ, target.qname)
    finally:
        project.close()
    return found, problems


# --- scoring -------------------------------------------------------------------------------


def class_inits(root: Path, package: str, functions: list[Function]) -> dict[str, str]:
    """Class name -> the package ``__init__`` it runs, following base names syntactically
    (for the name-matched listing only; neither approach is scored with it)."""
    own = {f.qname.rsplit(".", 1)[0].rsplit(".", 1)[-1]: f.qname for f in functions
           if f.name == "__init__"}
    bases: dict[str, list[str]] = {}
    for path in (root / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                bases[node.name] = [b.id for b in node.bases if isinstance(b, ast.Name)]
    inits = {}
    for name in bases:
        todo, seen = [name], set()
        while todo:
            current = todo.pop(0)
            if current in own:
                inits[name] = own[current]
                break
            seen.add(current)
            todo.extend(b for b in bases.get(current, ()) if b not in seen)
    return inits


def name_matched(functions: list[Function], sources: dict[str, SourceInfo],
                 inits: dict[str, str]) -> set[Site]:
    """Every call whose callee's last name is a package function's (or a class's with a
    package ``__init__``): the syntactic candidates, to look for sites nobody claims."""
    by_name: dict[str, list[str]] = {}
    for fn in functions:
        if fn.name != "__init__":
            by_name.setdefault(fn.name, []).append(fn.qname)
    for cls_name, init in inits.items():
        by_name.setdefault(cls_name, []).append(init)
    found = set()
    for info in sources.values():
        for call in info.calls:
            func = call.func
            last = func.id if isinstance(func, ast.Name) else (
                func.attr if isinstance(func, ast.Attribute) else "")
            for qname in by_name.get(last, ()):
                found.add(site_of(info, call, qname))
    return found


def load_truth() -> dict[Site, tuple[bool, str]]:
    verdicts = {}
    for entry in json.loads(TRUTH.read_text(encoding="utf-8"))["verdicts"]:
        relpath, line, col = entry["site"].rsplit(":", 2)
        key = (entry["project"], entry["callee"], relpath, int(line), int(col))
        verdicts[key] = (bool(entry["call"]), entry["why"])
    return verdicts


def timed(repeat: int, fn: Callable[[], object]) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def _where(site: Site) -> str:
    return f"{site[1]}:{site[2]}:{site[3]}"


def study(project: str, root: Path, truth: dict[tuple, tuple[bool, str]], repeat: int,
          show_all: bool) -> tuple[list[tuple], list[str]]:
    sources = read_sources(root)
    functions = package_functions(root, project)
    claimed: dict[str, set[Site]] = {}
    seconds: dict[str, float] = {}
    seconds["index"], claimed["index"] = timed(
        repeat, lambda: index_sites(root, functions))
    for label, soa, unsure in (("rope", False, False), ("rope+SOA", True, False),
                               ("rope+unsure", False, True)):
        seconds[label], (found, problems) = timed(
            repeat, lambda a=soa, u=unsure: rope_sites(root, functions, sources, soa=a,
                                                       unsure=u))
        claimed[label] = found
        for problem in sorted(set(problems)):
            print(f"  [{project}] {label}: {problem}", file=sys.stderr)

    agreed = claimed["index"] & claimed["rope"]
    judged = {key[1:]: verdict for key, verdict in truth.items() if key[0] == project}
    true_sites = agreed | {site for site, (call, _) in judged.items() if call}
    # Claimed by some of the judged approaches but not all: each needs a verdict.
    disputed = set().union(*(claimed[a] for a in JUDGED)) - set.intersection(
        *(claimed[a] for a in JUDGED))
    unjudged = [f"{project}: {site[0]} @ {_where(site)}: {snippet(sources, site)}"
                for site in sorted(disputed) if site not in judged]

    print(f"\n== {project}: {len(functions)} functions and methods, "
          f"{len(true_sites)} true call sites ({len(agreed)} agreed by the index and rope)")
    print("Disagreements and sites nobody finds, with the verdict "
          "[index rope rope+SOA rope+unsure]:")
    unsure_only = claimed["rope+unsure"] - true_sites - disputed - set(judged)
    shown = (disputed | set(judged) | (claimed["rope+unsure"] - agreed)) - unsure_only
    for site in sorted(shown, key=lambda s: (s[1], s[2], s[3], s[0])):
        marks = "".join("x" if site in claimed[a] else "." for a in APPROACHES)
        verdict = judged.get(site)
        label = "?    " if verdict is None else ("TRUE " if verdict[0] else "false")
        print(f"  [{marks}] {label} {site[0]} @ {_where(site)}  `{snippet(sources, site)}`")
        if verdict:
            print(f"           {verdict[1]}")
    if unsure_only:
        counts: dict[str, int] = {}
        for site in unsure_only:
            counts[site[0]] = counts.get(site[0], 0) + 1
        listed = ", ".join(f"{q} x{n}" for q, n in sorted(counts.items(), key=lambda x: -x[1]))
        print(f"  rope+unsure only, counted false ({len(unsure_only)}; --all lists them): "
              f"{listed}")
    if show_all:
        print("rope+unsure only (counted false):")
        for site in sorted(unsure_only, key=lambda s: (s[1], s[2], s[3])):
            print(f"  {site[0]} @ {_where(site)}  `{snippet(sources, site)}`")
        print("Agreed by the index and rope (taken as true):")
        for site in sorted(agreed, key=lambda s: (s[1], s[2], s[3])):
            print(f"  {site[0]} @ {_where(site)}  `{snippet(sources, site)}`")
        nobody = name_matched(functions, sources, class_inits(root, project, functions))
        nobody -= set().union(*claimed.values()) | true_sites
        print("Name-matched calls nobody claims (counted as not call sites):")
        for site in sorted(nobody, key=lambda s: (s[1], s[2], s[3])):
            print(f"  {site[0]} @ {_where(site)}  `{snippet(sources, site)}`")
    rows = []
    for approach in APPROACHES:
        found = claimed[approach]
        rows.append((project, approach, len(found & true_sites), len(found - true_sites),
                     len(true_sites - found), len(true_sites), seconds[approach]))
    return rows, unjudged


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per approach")
    parser.add_argument("--all", action="store_true", help="also list rope+unsure's false "
                        "claims, the agreed sites and name-matched calls nobody claims")
    args = parser.parse_args(argv)
    truth = load_truth()
    table, unjudged = [], []
    for project, root in PROJECTS.items():
        rows, missing = study(project, root, truth, args.repeat, args.all)
        table += rows
        unjudged += missing
    if unjudged:
        print("\nDisagreements without a verdict in callsites_truth.json:", file=sys.stderr)
        for line in unjudged:
            print(f"  {line}", file=sys.stderr)
        return 1
    print(f"\n| project | approach | true found | false | missed | true sites | seconds "
          f"(median of {args.repeat}) |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for project, approach, tp, fp, fn, total, secs in table:
        print(f"| {project} | {approach} | {tp} | {fp} | {fn} | {total} | {secs:.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
