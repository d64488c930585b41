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
        return Project(root, cfg, (_source_file(root, single),))
    return Project(root, cfg, tuple(_walk(root, cfg)))


def _walk(root: Path, cfg: Config) -> list[SourceFile]:
    exclude = pathspec.GitIgnoreSpec.from_lines([*DEFAULT_EXCLUDE, *cfg.exclude])
    include = pathspec.GitIgnoreSpec.from_lines(cfg.include) if cfg.include else None
    ignores: list[tuple[str, pathspec.GitIgnoreSpec]] = []
    found: list[SourceFile] = []
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        rel_dir = here.relative_to(root).as_posix()
        rel_dir = "" if rel_dir == "." else rel_dir + "/"
        if ".gitignore" in filenames:
            lines = (here / ".gitignore").read_text(encoding="utf-8", errors="replace").splitlines()
            ignores.append((rel_dir, pathspec.GitIgnoreSpec.from_lines(lines)))

        def ignored(rel: str) -> bool:
            if exclude.match_file(rel):
                return True
            return any(
                rel.startswith(base) and spec.match_file(rel[len(base):])
                for base, spec in ignores
            )

        dirnames[:] = sorted(
            d for d in dirnames
            if not ignored(f"{rel_dir}{d}/") and not (here / d).is_symlink()
        )
        for name in sorted(filenames):
            if not name.endswith(".py"):
                continue
            rel = rel_dir + name
            full = here / name
            if ignored(rel) or (include is not None and not include.match_file(rel)):
                continue
            if full.is_symlink() and not full.resolve().is_relative_to(root):
                continue
            found.append(_source_file(root, full))
    return found


def _source_file(root: Path, path: Path) -> SourceFile:
    return SourceFile(
        path=path,
        relpath=path.relative_to(root).as_posix(),
        module=module_name(path),
        is_package=path.name == "__init__.py",
    )


def module_name(path: Path) -> str:
    """The dotted module name of ``path``: the chain of enclosing packages plus the stem."""
    parts = [] if path.name == "__init__.py" else [path.stem]
    parent = path.parent
    while (parent / "__init__.py").is_file() and parent.parent != parent:
        parts.append(parent.name)
        parent = parent.parent
    return ".".join(reversed(parts)) or path.parent.name
