"""Which files make up the user's project, and the module name of each."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pathspec

from ._config import DEFAULT_EXCLUDE, Config, load_config
from .errors import UsageError


@dataclass(frozen=True, slots=True)
class SourceFile:
    """A Python file of the project: where it is and which module it defines."""

    path: Path
    relpath: str
    module: str
    is_package: bool
    # Another name the module is imported by, for plain directories (no ``__init__.py``)
    # below the root: ``api`` for ``backend/api.py`` (named ``backend.api``: the root is on
    # sys.path) when a script beside it imports it; ``backend.api`` for the package
    # ``backend/api/`` (named ``api``) when the code imports it through the directory.
    alias: str | None = None


@dataclass(frozen=True, slots=True)
class Project:
    root: Path
    config: Config
    files: tuple[SourceFile, ...]


def discover(path: Path, *, config: Config | None = None) -> Project:
    """Find the Python files under ``path``, honouring .gitignore and ``[tool.asyncify]``.

    :raises UsageError: ``path`` does not exist or is not a directory or Python file.
    :raises ConfigError: the project's configuration is invalid.
    """
    if not path.exists():
        raise UsageError(f"path {str(path)!r} does not exist (pass a project directory)")
    root = path.resolve()
    single: Path | None = None
    if root.is_file():
        if root.suffix != ".py":
            raise UsageError(f"{str(path)!r} is not a directory or a .py file")
        single, root = root, root.parent
    cfg = config if config is not None else load_config(root)
    if single is not None:
        package = _package_of(root, (root / "__init__.py").is_file(), {})
        return Project(root, cfg, (_source_file(root, single, package),))
    return Project(root, cfg, tuple(_walk(root, cfg)))


def _walk(root: Path, cfg: Config) -> list[SourceFile]:
    exclude = pathspec.GitIgnoreSpec.from_lines(cfg.exclude) if cfg.exclude else None
    include = pathspec.GitIgnoreSpec.from_lines(cfg.include) if cfg.include else None
    default_dirs = {pattern.rstrip("/") for pattern in DEFAULT_EXCLUDE}
    found: list[SourceFile] = []
    packages: dict[Path, str | None] = {}

    def ignored(rel: str, ignores: list[tuple[str, pathspec.GitIgnoreSpec]]) -> bool:
        if exclude is not None and exclude.match_file(rel):
            return True
        return any(
            rel.startswith(base) and spec.match_file(rel[len(base):]) for base, spec in ignores
        )

    def visit(here: Path, rel_dir: str, ignores: list[tuple[str, pathspec.GitIgnoreSpec]]) -> None:
        try:
            entries = sorted(os.scandir(here), key=lambda e: e.name)
        except OSError:
            return
        names = {e.name for e in entries}
        if ".gitignore" in names:
            text = (here / ".gitignore").read_text(encoding="utf-8", errors="replace")
            ignores = [*ignores, (rel_dir, pathspec.GitIgnoreSpec.from_lines(text.splitlines()))]
        is_package = "__init__.py" in names
        for entry in entries:
            rel = rel_dir + entry.name
            if entry.is_dir(follow_symlinks=False):
                if entry.name in default_dirs or ignored(rel + "/", ignores):
                    continue
                visit(here / entry.name, rel + "/", ignores)
            elif entry.name.endswith(".py"):
                full = here / entry.name
                if ignored(rel, ignores) or (include is not None and not include.match_file(rel)):
                    continue
                if entry.is_symlink() and not full.resolve().is_relative_to(root):
                    continue
                found.append(_source_file(root, full, _package_of(here, is_package, packages)))

    visit(root, "", [])
    return found


def _package_of(directory: Path, is_package: bool, memo: dict[Path, str | None]) -> str | None:
    """The dotted package a directory is (``None`` when it is not a package), memoized."""
    if directory in memo:
        return memo[directory]
    if not is_package:
        memo[directory] = None
        return None
    parent = directory.parent
    outer = (
        _package_of(parent, (parent / "__init__.py").is_file(), memo)
        if parent != directory else None
    )
    memo[directory] = f"{outer}.{directory.name}" if outer else directory.name
    return memo[directory]


def _namespace(root: Path, directory: Path) -> tuple[str, ...] | None:
    """``directory`` (a plain directory at or below the root) as a namespace package path;
    ``None`` when a part is not an identifier. ``src/`` is a source root, not a package."""
    parts = directory.relative_to(root).parts if directory != root else ()
    if parts and parts[0] == "src":
        parts = parts[1:]
    return parts if all(part.isidentifier() for part in parts) else None


def _source_file(root: Path, path: Path, package: str | None) -> SourceFile:
    """``path`` (in a directory that is the package ``package``, or none) as a source file."""
    alias = None
    if path.name == "__init__.py":
        module = package or path.parent.name
        if package and "." not in package and path.parent != root:
            outer = _namespace(root, path.parent.parent)
            if outer:
                alias = ".".join([*outer, package])
    elif package:
        module = f"{package}.{path.stem}"
    else:
        module = path.stem
        outer = _namespace(root, path.parent)
        if outer:
            module, alias = ".".join([*outer, path.stem]), path.stem
    return SourceFile(
        path=path,
        relpath=path.relative_to(root).as_posix(),
        module=module,
        is_package=path.name == "__init__.py",
        alias=alias,
    )
