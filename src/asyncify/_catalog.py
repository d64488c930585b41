"""The catalog: which calls block, what replaces them, and what calls return.

It is data (TOML under the top-level ``codemods/`` directory, shipped in the wheel), read by
``plan``, ``check`` and ``apply`` alike so they cannot disagree. Users add files of their own
through ``[tool.asyncify] catalog = [...]``; a later file overrides an earlier one name by name.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from ._diagnostics import Diagnostic
from ._summary import UNKNOWN, Ref
from .errors import CatalogError

# Categories the built-in catalog uses. Users may add their own (lowercase words); "cpu" is
# special: it marks CPU-bound work, which the planner reports as a hint, not as I/O.
CATEGORIES = (
    "http", "db", "cache", "sleep", "file", "subprocess", "socket", "smtp", "cloud",
    "input", "cpu",
)  # fmt: skip
_CATEGORY = re.compile(r"[a-z][a-z0-9_]*\Z")


@dataclass(frozen=True)
class Operation:
    """A catalog entry: one callable that blocks (or burns CPU), and its async replacement."""

    name: str
    category: str
    replacement: str
    note: str
    source: str
    io: bool = True


@dataclass(frozen=True, slots=True)
class Heuristic:
    """Method names that count as blocking when the receiver's type is unknown."""

    methods: frozenset[str]
    category: str
    requires_import: str
    receiver_names: frozenset[str]
    note: str
    source: str


LiteralValue = str | bool | int | float | None


@dataclass(frozen=True, slots=True)
class AttributeIO:
    """A constructor whose class attributes do I/O when read on an instance: an ORM
    ``relationship()`` with its default ``lazy="select"`` runs a SELECT on first access.

    ``keyword`` names the argument that decides it (``lazy``); ``default`` is its value when
    absent; reading loads when the value is one of ``loads``, or is not a literal at all.
    ``returns`` maps other values to the type a read gives (``dynamic``: a query object, whose
    own terminal calls are the I/O).
    """

    constructor: str
    category: str
    keyword: str
    default: LiteralValue
    loads: tuple[LiteralValue, ...]
    returns: tuple[tuple[str, str], ...]
    replacement: str
    note: str
    source: str

    def value(self, kwargs: Iterable[tuple[str, Ref]]) -> Ref:
        """The keyword's value in a call, as a ref (the default, as a literal, if absent)."""
        for name, ref in kwargs:
            if name == self.keyword:
                return ref
        return ("k", self.default)

    def loads_on_read(self, kwargs: Iterable[tuple[str, Ref]]) -> bool:
        """Whether reading an attribute made by a call with ``kwargs`` does I/O."""
        if not self.keyword:
            return True
        value = self.value(kwargs)
        # ``True == 1``: compare types too, so ``lazy=True`` and ``lazy=1`` stay apart.
        return value[0] != "k" or any(
            value[1] == v and type(value[1]) is type(v) for v in self.loads)

    def read_type(self, kwargs: Iterable[tuple[str, Ref]]) -> str | None:
        """The type a read returns instead of loading (``lazy="dynamic"``: a query)."""
        value = self.value(kwargs) if self.keyword else UNKNOWN
        if value[0] == "k":
            for key, typ in self.returns:
                if value[1] == key:
                    return typ
        return None


@dataclass(slots=True)
class Catalog:
    operations: dict[str, Operation] = field(default_factory=dict)
    wildcards: dict[str, Operation] = field(default_factory=dict)
    types: dict[str, str] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)
    heuristics: list[Heuristic] = field(default_factory=list)
    attributes: dict[str, AttributeIO] = field(default_factory=dict)
    fingerprint: str = ""
    _canonical_types: dict[str, str] | None = None

    def canonical(self, qname: str) -> str:
        """``qname`` with catalog aliases applied to it and to its parents."""
        if qname in self.aliases:
            return self.aliases[qname]
        head, dot, tail = qname.rpartition(".")
        while head:
            if head in self.aliases:
                return f"{self.aliases[head]}.{tail}"
            head, dot, rest = head.rpartition(".")
            tail = f"{rest}{dot}{tail}"
        return qname

    def operation(self, qname: str) -> Operation | None:
        """The operation for a call to ``qname``, if the catalog says it blocks."""
        name = self.canonical(qname)
        found = self.operations.get(name)
        if found is not None:
            return found
        head = name.rpartition(".")[0]
        while head:
            if head in self.wildcards:
                return self.wildcards[head]
            head = head.rpartition(".")[0]
        return None

    def attribute(self, qname: str) -> AttributeIO | None:
        """The ``[[attribute]]`` entry for a call to ``qname``, if its result does I/O on read."""
        if not self.attributes:
            return None
        return self.attributes.get(qname) or self.attributes.get(self.canonical(qname))

    def returns(self, qname: str) -> str | None:
        """The qualified type a call to ``qname`` returns, when the catalog knows it."""
        found = self.types.get(qname)
        if found is None:
            if self._canonical_types is None:
                self._canonical_types = {
                    self.canonical(k): self.canonical(v) for k, v in self.types.items()
                }
            found = self._canonical_types.get(self.canonical(qname))
        return self.canonical(found) if found is not None else None


def load_catalog(
    extra: Sequence[Path] = (), *, diagnostics: list[Diagnostic] | None = None
) -> Catalog:
    """The built-in catalog plus ``extra`` files, in order.

    A malformed extra file is reported in ``diagnostics`` and skipped; without a
    ``diagnostics`` list it raises.

    :raises CatalogError: a built-in file is malformed, or an extra one is and no
        ``diagnostics`` list was given.
    """
    catalog = Catalog()
    digest = hashlib.sha256()
    builtin = resources.files("asyncify") / "codemods_data"
    for entry in sorted(builtin.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            text = entry.read_text(encoding="utf-8")
            digest.update(text.encode())
            _merge(catalog, _parse(text, f"codemods/{entry.name}"))
    for path in extra:
        try:
            text = path.read_text(encoding="utf-8")
            parsed = _parse(text, str(path))
        except (OSError, UnicodeDecodeError) as exc:
            error = CatalogError(f"{path}: cannot read catalog file: {exc} (fix the path in "
                                 "[tool.asyncify] catalog)")
            if diagnostics is None:
                raise error from exc
            diagnostics.append(Diagnostic(str(path), str(error).partition(": ")[2]))
            continue
        except CatalogError as exc:
            if diagnostics is None:
                raise
            diagnostics.append(Diagnostic(str(path), str(exc).partition(": ")[2]))
            continue
        digest.update(text.encode())
        _merge(catalog, parsed)
    catalog.fingerprint = digest.hexdigest()[:16]
    return catalog


def _merge(into: Catalog, other: Catalog) -> None:
    into.operations.update(other.operations)
    into.wildcards.update(other.wildcards)
    into.types.update(other.types)
    into.aliases.update(other.aliases)
    into.heuristics.extend(other.heuristics)
    into.attributes.update(other.attributes)


def _parse(text: str, source: str) -> Catalog:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(f"{source}: invalid TOML: {exc} (fix the file's syntax)") from exc
    # [[recipe]] tables (recipes.toml) belong to the codemod engine, not to the catalog.
    known = {"catalog", "types", "aliases", "operation", "heuristic", "attribute", "recipe"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise CatalogError(
            f"{source}: unknown table(s) {unknown!r} "
            "(expected catalog, types, aliases, [[operation]], [[heuristic]], [[attribute]])"
        )
    catalog = Catalog()
    catalog.types = _string_table(data.get("types", {}), "types", source)
    catalog.aliases = _string_table(data.get("aliases", {}), "aliases", source)
    for number, raw in enumerate(_array(data.get("operation", []), "operation", source), 1):
        for op in _operations(raw, f"{source} [[operation]] #{number}"):
            if op.name.endswith(".*"):
                catalog.wildcards[op.name[:-2]] = op
            else:
                catalog.operations[op.name] = op
    for number, raw in enumerate(_array(data.get("heuristic", []), "heuristic", source), 1):
        catalog.heuristics.append(_heuristic(raw, f"{source} [[heuristic]] #{number}"))
    for number, raw in enumerate(_array(data.get("attribute", []), "attribute", source), 1):
        for attr in _attributes(raw, f"{source} [[attribute]] #{number}"):
            catalog.attributes[attr.constructor] = attr
    return catalog


def _operations(raw: dict[str, object], where: str) -> Iterable[Operation]:
    names = raw.get("names", [raw["name"]] if "name" in raw else None)
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        raise CatalogError(f"{where}: needs 'names', a non-empty list of qualified names")
    category = _category(raw, where)
    replacement = raw.get("replacement", "")
    note = raw.get("note", "")
    io = raw.get("io", True)
    if not isinstance(replacement, str) or not isinstance(note, str) or not isinstance(io, bool):
        raise CatalogError(f"{where}: 'replacement' and 'note' must be strings, 'io' a boolean")
    for name in names:
        yield Operation(str(name), category, replacement, note, where.partition(" ")[0], io)


def _heuristic(raw: dict[str, object], where: str) -> Heuristic:
    methods = raw.get("methods")
    receivers = raw.get("receiver_names", [])
    requires = raw.get("requires_import")
    if not isinstance(methods, list) or not all(isinstance(m, str) for m in methods):
        raise CatalogError(f"{where}: 'methods' must be a list of method names")
    if not isinstance(receivers, list) or not all(isinstance(r, str) for r in receivers):
        raise CatalogError(f"{where}: 'receiver_names' must be a list of names")
    if not isinstance(requires, str):
        raise CatalogError(f"{where}: 'requires_import' must name a top-level package")
    note = raw.get("note", "")
    return Heuristic(
        frozenset(methods), _category(raw, where), requires, frozenset(receivers), str(note),
        where.partition(" ")[0],
    )


def _attributes(raw: dict[str, object], where: str) -> Iterable[AttributeIO]:
    constructors = raw.get("constructors")
    if not isinstance(constructors, list) or not constructors or not all(
        isinstance(c, str) for c in constructors
    ):
        raise CatalogError(f"{where}: needs 'constructors', a non-empty list of qualified names")
    keyword, loads = raw.get("keyword", ""), raw.get("loads", [])
    default, returns = raw.get("default"), raw.get("returns", {})
    if not isinstance(keyword, str) or not isinstance(loads, list) or not all(
        isinstance(v, str | bool | int | float) for v in [*loads, default] if v is not None
    ):
        raise CatalogError(f"{where}: 'keyword' must be a name, 'default' and 'loads' literals")
    if not isinstance(returns, dict) or not all(isinstance(t, str) for t in returns.values()):
        raise CatalogError(f"{where}: 'returns' must map keyword values to qualified type names")
    replacement, note = raw.get("replacement", ""), raw.get("note", "")
    if not isinstance(replacement, str) or not isinstance(note, str):
        raise CatalogError(f"{where}: 'replacement' and 'note' must be strings")
    category = _category(raw, where)
    for name in constructors:
        yield AttributeIO(
            str(name), category, keyword, default,  # type: ignore[arg-type]
            tuple(loads), tuple((str(k), str(t)) for k, t in returns.items()),
            replacement, note, where.partition(" ")[0])


def _category(raw: dict[str, object], where: str) -> str:
    category = raw.get("category")
    if not isinstance(category, str) or not _CATEGORY.match(category):
        raise CatalogError(
            f"{where}: category {category!r} must be a lowercase word, "
            f"e.g. one of {', '.join(CATEGORIES)}"
        )
    return str(category)


def _string_table(value: object, name: str, source: str) -> dict[str, str]:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise CatalogError(f"{source}: [{name}] must map qualified names to qualified names")
    return dict(value)


def _array(value: object, name: str, source: str) -> list[dict[str, object]]:
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise CatalogError(f"{source}: [[{name}]] must be an array of tables")
    return value
