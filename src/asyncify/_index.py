"""The index: every module of the project, summarized once (in worker processes for large
trees) and cached by content hash."""

from __future__ import annotations

import contextlib
import gc
import hashlib
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

from ._cache import SummaryCache, content_hash
from ._diagnostics import Diagnostic
from ._project import Project, SourceFile
from ._sources import Loaded, load
from ._summary import ModuleSummary

Progress = Callable[[int, int], None]

# Below this much work, worker processes cost more than they save.
_PARALLEL_MIN_BYTES = 1_500_000
_CHUNK_BYTES = 400_000


@dataclass(frozen=True, slots=True)
class Module:
    name: str
    file: SourceFile
    summary: ModuleSummary


@dataclass(slots=True)
class Index:
    project: Project
    modules: dict[str, Module] = field(default_factory=dict)
    # Other names modules are imported by (see ``SourceFile.alias``), where unambiguous.
    aliases: dict[str, str] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    lines: int = 0
    parsed: int = 0  # files parsed in this run (the rest came from the cache)



class IndexBuilder:
    """Builds the index in two steps, so an unchanged project can skip the second.

    ``scan()`` stats every file (reading and hashing only those whose size or mtime changed)
    and returns a fingerprint of the whole project's content; ``build()`` then summarizes
    what the cache does not have, in worker processes for large trees.
    """

    def __init__(
        self,
        project: Project,
        *,
        use_cache: bool = True,
        workers: int | None = None,
        progress: Progress | None = None,
    ) -> None:
        self.project = project
        self.workers = workers
        self.progress = progress
        cache_dir = project.root / project.config.cache_dir if use_cache else None
        self.cache = SummaryCache.open(cache_dir)
        self.diagnostics: list[Diagnostic] = []
        self._digests: dict[str, str] = {}
        self._stats: dict[str, os.stat_result] = {}
        self._data: dict[str, bytes] = {}

    def scan(self) -> str:
        """Hash every file's content (cheaply) and return the project's fingerprint."""
        whole = hashlib.blake2b(digest_size=16)
        for source in self.project.files:
            try:
                stat = source.path.stat()
                digest = self.cache.digest_by_stat(source.relpath, stat)
                if digest is None:
                    data = source.path.read_bytes()
                    digest = content_hash(data)
                    self._data[source.relpath] = data
            except OSError as exc:
                self.diagnostics.append(Diagnostic(
                    source.relpath, f"cannot read file: {exc.strerror or exc}",
                    "check its permissions or exclude it"))
                continue
            self._stats[source.relpath] = stat
            self._digests[source.relpath] = digest
            whole.update(f"{source.relpath}\0{source.module}\0{digest}\n".encode())
        return whole.hexdigest()

    def build(self) -> Index:
        with paused_gc():
            return self._build()

    def _build(self) -> Index:
        if not self._digests and not self.diagnostics:
            self.scan()
        index = Index(self.project, diagnostics=list(self.diagnostics))
        cache = self.cache
        summaries: dict[str, ModuleSummary] = {}
        todo: list[tuple[str, bytes]] = []
        total = len(self.project.files)
        for relpath, digest in self._digests.items():
            known = cache.summaries.get(digest)
            if known is not None:
                summaries[relpath] = known
                cache.remember_stat(relpath, self._stats[relpath], digest)
                continue
            data = self._data.get(relpath)
            if data is None:
                try:
                    data = (self.project.root / relpath).read_bytes()
                except OSError as exc:
                    index.diagnostics.append(Diagnostic(
                        relpath, f"cannot read file: {exc.strerror or exc}",
                        "check its permissions or exclude it"))
                    continue
            todo.append((relpath, data))
        if self.progress is not None:
            self.progress(total - len(todo), total)
        max_bytes = self.project.config.max_file_bytes
        done = total - len(todo)
        for loaded in _load_all(todo, max_bytes, self.workers, self.progress, done, total):
            if loaded.summary is None:
                assert loaded.diagnostic is not None
                index.diagnostics.append(loaded.diagnostic)
                continue
            digest = self._digests[loaded.relpath]
            cache.remember_stat(loaded.relpath, self._stats[loaded.relpath], digest)
            cache.remember_summary(digest, loaded.summary)
            summaries[loaded.relpath] = loaded.summary
            index.parsed += 1
        for source in self.project.files:
            summary = summaries.get(source.relpath)
            if summary is None:
                continue
            if source.module in index.modules:
                other = index.modules[source.module].file.relpath
                index.diagnostics.append(Diagnostic(
                    source.relpath, f"module {source.module!r} is also defined by {other}; "
                    "only the first is indexed", "exclude one of them", severity="warning"))
                continue
            index.modules[source.module] = Module(source.module, source, summary)
            index.lines += summary.lines
            if source.alias is not None:
                taken = source.alias in index.aliases
                index.aliases[source.alias] = "" if taken else source.module
        index.aliases = {alias: name for alias, name in index.aliases.items()
                         if name and alias not in index.modules}
        cache.save({s.relpath for s in self.project.files})
        index.diagnostics.sort(key=lambda d: (d.path, d.line or 0))
        return index


def _load_all(
    todo: Sequence[tuple[str, bytes]],
    max_bytes: int,
    workers: int | None,
    progress: Progress | None,
    done: int,
    total: int,
) -> list[Loaded]:
    size = sum(len(data) for _, data in todo)
    count = workers if workers is not None else min(os.cpu_count() or 1, 8)
    if count <= 1 or size < _PARALLEL_MIN_BYTES:
        results = []
        for relpath, data in todo:
            results.append(load(relpath, data, max_bytes))
            done += 1
            if progress is not None and done % 50 == 0:
                progress(done, total)
        if progress is not None:
            progress(total, total)
        return results
    chunks: list[list[tuple[str, bytes]]] = [[]]
    chunk_size = 0
    for item in todo:
        if chunk_size > _CHUNK_BYTES:
            chunks.append([])
            chunk_size = 0
        chunks[-1].append(item)
        chunk_size += len(item[1])
    results = []
    with ProcessPoolExecutor(max_workers=count) as pool:
        for batch in pool.map(_load_chunk, chunks, [max_bytes] * len(chunks)):
            results.extend(batch)
            done += len(batch)
            if progress is not None:
                progress(done, total)
    return results


def _load_chunk(chunk: list[tuple[str, bytes]], max_bytes: int) -> list[Loaded]:
    with paused_gc():
        return [load(relpath, data, max_bytes) for relpath, data in chunk]


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while building many small, long-lived objects.

    Summaries hold no reference cycles worth collecting, and with the collector running the
    index builds 2-3x slower (each collection walks every summary built so far).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
