"""The engine: one libcst parse per file, one walk of the tree for all selected rules.

``transform`` is a pure function (bytes in, outcome out), so files can be spread over worker
processes. It never writes; callers decide what to do with the outcome.
"""

from __future__ import annotations

import bisect
import builtins
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import libcst as cst
from libcst.codemod import CodemodContext
from libcst.metadata import ByteSpanPositionProvider, MetadataWrapper

from .._write import check_parses
from ..errors import InputError
from ._rule import REGISTRY, Rule, Todo, dotted

Status = Literal["changed", "unchanged", "skipped", "failed"]

_IMPORT = re.compile(rb"^[ \t]*(?:from[ \t]+(\w+)|import[ \t]+([\w, \t.]+))", re.MULTILINE)
_STATEMENTS = (cst.SimpleStatementLine, cst.BaseCompoundStatement)
_LINE_BREAK = re.compile(rb"\r\n|\r|\n")
# Concrete classes, so the hot path tests ``type(node) in ...`` instead of an ABC isinstance.
_STATEMENT_TYPES = frozenset({
    cst.SimpleStatementLine, cst.If, cst.For, cst.While, cst.Try, cst.TryStar, cst.With,
    cst.FunctionDef, cst.ClassDef, cst.Match,
})
_NAME_TYPES = frozenset({cst.Import, cst.ImportFrom, cst.Param, cst.AssignTarget, cst.AsName,
                         cst.For})
_SCOPE_TYPES = frozenset({cst.FunctionDef, cst.Lambda})
_BUILTINS = frozenset(dir(builtins))


@dataclass(frozen=True)
class FileContext:
    """What the project-wide analysis decided for one file: the index decides, rules rewrite.

    Positions are ``(line, col)`` of call expressions as Python's ``ast`` reports them
    (1-based line, 1-based column counted in UTF-8 bytes).
    """

    module: str = ""
    # Functions (qualnames as the index names them: ``f``, ``C.m``, ``f.<locals>.g``) that
    # become ``async def``.
    make_async: frozenset[str] = frozenset()
    # Call sites of functions that became async, to await (or to enter with ``async with`` /
    # iterate with ``async for``).
    await_at: frozenset[tuple[int, int]] = frozenset()
    # Call sites, in functions that stay sync, of functions that became async: they go
    # through the bridge.
    bridge_at: frozenset[tuple[int, int]] = frozenset()
    # Blocking call sites the index resolved: position → catalog operation name.
    sites: Mapping[tuple[int, int], str] = field(default_factory=dict)
    # Functions that reach only converted I/O but must stay sync: qualname → why.
    blocked: Mapping[str, str] = field(default_factory=dict)
    # For each await/bridge position: the called functions' own names (``quote`` for
    # ``get_client().quote(...)``, whose inner call starts at the same position).
    callees: Mapping[tuple[int, int], frozenset[str]] = field(default_factory=dict)
    # Functions that keep their ``def`` (sync code calls them) but run their body on the
    # bridge, in a nested ``async def``: qualname → why they stay ``def``. Also listed in
    # ``make_async``, so that their body is walked as async code.
    shells: Mapping[str, str] = field(default_factory=dict)
    # Classes (qualnames) the legacy app instantiates whose async twin takes the legacy object
    # over at run time (``asyncify.compat.adopt``): their ``requests.Session`` attributes are
    # httpx clients in the twin's methods, whatever ``__init__`` sets up (``asyncify apply``).
    adopted: frozenset[str] = frozenset()
    # Functions (qualnames) of a module defining no route, view or Resource that no code of
    # a module serving requests names: only legacy code calls them, so the ASY1xx rules keep
    # their Flask helpers (``codemods/flask_fastapi/_callers.py``).
    flask_side: frozenset[str] = frozenset()
    # Module-level Flask apps and blueprints of this file that stay Flask because of other
    # files (registered on one that stays, routes in another file): name → why (``_callers``).
    flask_owners: Mapping[str, str] = field(default_factory=dict)
    # The file is an async twin that runs inside the legacy app's request context (``asyncify
    # apply``: ``compat.combine``/``standalone``): Flask's ``g`` there is the one the legacy
    # hooks set and read, so ASY103 keeps it instead of ``request.state``.
    legacy_context: bool = False


NO_CONTEXT = FileContext()


@dataclass
class Outcome:
    """What happened to one file: a value, rendered or written by someone else."""

    path: str
    status: Status
    reason: str = ""
    new: bytes | None = None
    todos: list[Todo] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)
    diff: str = ""


def imported_packages(source: bytes) -> set[str]:
    """Top-level packages a file imports (a cheap scan, no parse: the rules' import gate)."""
    found: set[str] = set()
    for from_name, import_names in _IMPORT.findall(source.removeprefix(b"\xef\xbb\xbf")):
        if from_name:
            found.add(from_name.decode())
        else:
            for part in import_names.decode().split(","):
                name = part.strip().split(" ")[0].split(".")[0]
                if name:
                    found.add(name)
    return found


class Pass(cst.CSTTransformer):
    """Walks the tree once and hands every node to each rule that has a handler for it.

    Names are resolved from the file's own imports as the walk meets them (a parameter or a
    local assignment shadows an import), which is what the rules need and far cheaper than
    libcst's scope analysis; line numbers are computed only for files that get a TODO.
    """

    def __init__(
        self,
        rules: Sequence[type[Rule]],
        context: CodemodContext,
        wrapper: MetadataWrapper,
        file: FileContext = NO_CONTEXT,
        source: bytes | None = None,
    ) -> None:
        super().__init__()
        self.context = context
        self.file = file
        self._wrapper = wrapper
        self._source = source  # the module's bytes, if the caller has them
        self._qualnames: list[tuple[str, str]] = []  # ("class" | "def", name)
        self._spans: Any = None  # node → its byte span in the source, on first use
        self._line_ends: list[int] = []  # byte offset just past each line break
        self._names: list[dict[str, str | None]] = [{}]
        self.imports: list[tuple[str, str | None]] = []
        # Per-file state rules share (e.g. which local names hold converted responses).
        self.scratch: dict[str, Any] = {}
        self.rules = [rule(self) for rule in rules]
        self.todos: list[Todo] = []
        self.fired: set[str] = set()
        self._scopes: list[bool] = []  # is each enclosing function async?
        self._stack: list[cst.CSTNode] = []
        self._pending: list[list[Todo]] = []
        self._handlers: dict[tuple[str, type], list[Callable[..., Any]]] = {}

    # --- for rules --------------------------------------------------------------------

    def qualified(self, node: cst.CSTNode) -> set[str]:
        """The qualified name ``node`` refers to (``time.sleep`` for ``t.sleep`` after
        ``import time as t``), as a set (empty when unknown or shadowed)."""
        name = dotted(node) if isinstance(node, cst.BaseExpression) else None
        if name is None:
            return set()
        head, _, rest = name.partition(".")
        for scope in reversed(self._names):
            if head in scope:
                target = scope[head]
                if target is None:
                    return set()
                return {f"{target}.{rest}" if rest else target}
        return {f"builtins.{name}"} if head in _BUILTINS and not rest else set()

    def shadowed(self, name: str) -> bool:
        """Whether ``name`` is a parameter or a local variable of the innermost function
        binding it (so not the module's import of that name)."""
        for scope in reversed(self._names):
            if name in scope:
                return scope[name] is None
        return False

    def _bind(self, name: str, target: str | None) -> None:
        self._names[-1][name] = target

    def _record_names(self, node: cst.CSTNode) -> None:
        if isinstance(node, cst.Import):
            for alias in node.names:
                full = dotted(alias.name) or ""
                if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                    self._bind(alias.asname.name.value, full)
                else:
                    self._bind(full.partition(".")[0], full.partition(".")[0])
        elif isinstance(node, cst.ImportFrom) and not isinstance(node.names, cst.ImportStar):
            module = dotted(node.module) if node.module is not None else ""
            prefix = "." * len(node.relative) + (module or "")
            for alias in node.names:
                leaf = dotted(alias.name) or ""
                local = (
                    alias.asname.name.value
                    if alias.asname is not None and isinstance(alias.asname.name, cst.Name)
                    else leaf
                )
                self._bind(local, f"{prefix}.{leaf}" if prefix else leaf)
        elif len(self._names) > 1:
            # Inside a function: parameters and assignments shadow imported names.
            if isinstance(node, cst.Param):
                self._bind(node.name.value, None)
            elif isinstance(node, cst.AssignTarget | cst.AsName) and isinstance(
                getattr(node, "target", None) or getattr(node, "name", None), cst.Name
            ):
                target = node.target if isinstance(node, cst.AssignTarget) else node.name
                assert isinstance(target, cst.Name)
                self._bind(target.value, None)
            elif isinstance(node, cst.For) and isinstance(node.target, cst.Name):
                self._bind(node.target.value, None)

    def in_async(self) -> bool:
        """Whether the innermost function is (or is becoming) ``async def``."""
        return bool(self._scopes) and self._scopes[-1]

    def qualname(self) -> str:
        """The index's qualified name of the innermost function or class being walked."""
        name = ""
        previous = ""
        for kind, part in self._qualnames:
            if not name:
                name = part
            elif previous == "def":
                name = f"{name}.<locals>.{part}"
            else:
                name = f"{name}.{part}"
            previous = kind
        return name

    def position(self, node: cst.CSTNode) -> tuple[int, int]:
        """``(line, col)`` of an original node, as ``ast`` reports it (col: 1-based, in UTF-8
        bytes), to match the index's positions; ``(0, 0)`` for a node not in the source.

        From libcst's byte spans (computed once per file, on first use: cheaper than its
        line/column positions, which build a position object per token) and the offsets of
        the source's line breaks."""
        if self._spans is None:
            # Spans count the UTF-8 bytes of the code (whatever the file's encoding), as
            # ast's columns do: the line breaks are found in the same bytes.
            self._spans = self._wrapper.resolve(ByteSpanPositionProvider)
            module = self._wrapper.module
            utf8 = module.encoding.lower().replace("_", "-") in ("utf-8", "utf8")
            text = (self._source if utf8 and self._source is not None
                    and not self._source.startswith(b"\xef\xbb\xbf")
                    else module.code.encode("utf-8"))
            self._line_ends = [m.end() for m in _LINE_BREAK.finditer(text)]
        found = self._spans.get(node)
        if found is None:
            return (0, 0)
        before = bisect.bisect_right(self._line_ends, found.start)
        start_of_line = self._line_ends[before - 1] if before else 0
        return (before + 1, found.start - start_of_line + 1)

    def site(self, node: cst.CSTNode) -> str | None:
        """The catalog operation the index resolved for this call, if any."""
        if not self.file.sites:
            return None
        return self.file.sites.get(self.position(node))

    def parent(self) -> cst.CSTNode | None:
        """The parent of the node being left (call from a ``leave_`` handler)."""
        return self._stack[-2] if len(self._stack) > 1 else None

    def ancestor(self, n: int) -> cst.CSTNode | None:
        """The ``n``-th ancestor of the node being visited or left (1 is its parent), as
        it was in the original tree."""
        return self._stack[-1 - n] if len(self._stack) > n else None

    def awaited(self, original: cst.BaseExpression, updated: cst.BaseExpression) -> cst.Await:
        """``await updated``, parenthesized where the parent would otherwise bind tighter
        (``(await f()).x``, ``(await f())[0]``, ``(await f())()``)."""
        parent = self.parent()
        tight = (
            (isinstance(parent, cst.Attribute) and parent.value is original)
            or (isinstance(parent, cst.Subscript) and parent.value is original)
            or (isinstance(parent, cst.Call) and parent.func is original)
            or isinstance(parent, cst.Await)
        )
        if tight:
            return cst.Await(expression=updated, lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
        return cst.Await(expression=updated)

    def line(self, node: cst.CSTNode) -> int:
        """The line of an *original* node (0 if it is not in the source)."""
        return self.position(node)[0]

    def need_import(self, module: str, obj: str | None = None) -> None:
        if (module, obj) not in self.imports:
            self.imports.append((module, obj))

    def todo(self, rule: str, node: cst.CSTNode, message: str) -> None:
        """Leave a TODO marker above the statement holding ``node`` and report it."""
        item = Todo(rule, self.line(node), message)
        self.todos.append(item)
        self.fired.add(rule)
        if self._pending:
            self._pending[-1].append(item)

    def marked(self, rule: str, node: cst.CSTNode, message: str, updated: Any) -> Any:
        """Like :meth:`todo`, but the marker goes on ``updated`` itself (a node with
        ``leading_lines`` that is not a statement, e.g. an ``except`` clause)."""
        item = Todo(rule, self.line(node), message)
        self.todos.append(item)
        self.fired.add(rule)
        return _with_markers(updated, [item])

    def changed(self, rule: str) -> None:
        self.fired.add(rule)

    # --- dispatch ---------------------------------------------------------------------

    def _for(self, phase: str, node: cst.CSTNode) -> list[Callable[..., Any]]:
        key = (phase, type(node))
        found = self._handlers.get(key)
        if found is None:
            name = f"{phase}_{key[1].__name__}"
            found = [getattr(r, name) for r in self.rules if hasattr(r, name)]
            self._handlers[key] = found
        return found

    # Rules have no per-attribute hooks: skip libcst's lookup of them.
    def on_visit_attribute(self, node: cst.CSTNode, attribute: str) -> None:
        return None

    def on_leave_attribute(self, original_node: cst.CSTNode, attribute: str) -> None:
        return None

    def on_visit(self, node: cst.CSTNode) -> bool:
        self._stack.append(node)
        kind = type(node)
        if kind is cst.FunctionDef:
            assert isinstance(node, cst.FunctionDef)
            self._qualnames.append(("def", node.name.value))
            self._scopes.append(
                node.asynchronous is not None or self.qualname() in self.file.make_async
            )
            self._names.append({})
        elif kind is cst.ClassDef:
            assert isinstance(node, cst.ClassDef)
            self._qualnames.append(("class", node.name.value))
        elif kind is cst.Lambda:
            self._scopes.append(False)
            self._names.append({})
        elif kind in _NAME_TYPES:
            self._record_names(node)
        if kind in _STATEMENT_TYPES:
            self._pending.append([])
        for handler in self._for("visit", node):
            handler(node)
        return True

    def on_leave(self, original_node: cst.CSTNode, updated_node: cst.CSTNode) -> Any:
        updated: Any = updated_node
        for handler in self._for("leave", original_node):
            updated = handler(original_node, updated)
            if not isinstance(updated, cst.CSTNode):
                break  # removed (or flattened) by this rule: the others have nothing to do
        kind = type(original_node)
        if kind in _SCOPE_TYPES:
            self._scopes.pop()
            self._names.pop()
        if kind is cst.FunctionDef or kind is cst.ClassDef:
            self._qualnames.pop()
        if kind in _STATEMENT_TYPES:
            pending = self._pending.pop()
            if pending and isinstance(updated, _STATEMENTS):
                updated = _with_markers(updated, pending)
        self._stack.pop()
        return updated


def _with_markers(statement: Any, todos: list[Todo]) -> Any:
    existing = {line.comment.value for line in statement.leading_lines if line.comment}
    added = [
        cst.EmptyLine(comment=cst.Comment(todo.marker))
        for todo in dict.fromkeys(todos)
        if todo.marker not in existing
        and not any(c.startswith(f"# TODO[asyncify {todo.rule}]") for c in existing)
    ]
    if not added:
        return statement
    return statement.with_changes(leading_lines=[*statement.leading_lines, *added])


def after_imports(module: cst.Module, statements: Sequence[cst.BaseStatement]) -> cst.Module:
    """``statements`` after the module's leading import block (after its docstring when it
    starts with no import)."""
    body = list(module.body)
    at = 0
    for index, statement in enumerate(body):
        if isinstance(statement, cst.SimpleStatementLine) and isinstance(
                statement.body[0], cst.Import | cst.ImportFrom):
            at = index + 1
        elif index > at:
            break
    if at == 0 and body and isinstance(body[0], cst.SimpleStatementLine) and isinstance(
            body[0].body[0], cst.Expr) and isinstance(body[0].body[0].value,
                                                      cst.SimpleString | cst.ConcatenatedString):
        at = 1
    return module.with_changes(body=[*body[:at], *statements, *body[at:]])


def add_imports(module: cst.Module, needed: list[tuple[str, str | None]]) -> cst.Module:
    """Add ``import m`` / ``from m import name`` at the top level unless already there:
    after the imports that open the module (and its docstring), never after code that may
    use the names (a late ``from pkg import views`` at the end of a circular-import layout
    does not move them down)."""
    body = list(module.body)
    have_modules: set[str] = set()
    have_from: dict[str, int] = {}
    insert_at = 0
    leading = True  # still in the docstring-and-imports head of the module
    for index, statement in enumerate(body):
        first = (statement.body[0] if isinstance(statement, cst.SimpleStatementLine)
                 and statement.body else None)
        if isinstance(first, cst.Import):
            have_modules.update(dotted(a.name) or "" for a in first.names if a.asname is None)
        elif isinstance(first, cst.ImportFrom) and first.module is not None and not first.relative:
            if leading:  # merge only into an import that comes before any use
                have_from.setdefault(dotted(first.module) or "", index)
        elif isinstance(first, cst.ImportFrom):
            continue  # a relative import: still the head, but additions go above it
        elif index == 0 and isinstance(first, cst.Expr) and isinstance(
            first.value, cst.SimpleString | cst.ConcatenatedString
        ):
            insert_at = 1
            continue
        else:
            leading = False
            continue
        if leading:
            insert_at = index + 1
    additions: list[cst.SimpleStatementLine] = []
    from_names: dict[str, list[str]] = {}
    for name, obj in needed:
        if obj is None:
            if name not in have_modules:
                have_modules.add(name)
                additions.append(cst.SimpleStatementLine(
                    [cst.Import([cst.ImportAlias(_dotted_expr(name))])]))
        else:
            from_names.setdefault(name, []).append(obj)
    for name, objs in from_names.items():
        wanted = sorted(set(objs))
        at = have_from.get(name)
        line = body[at] if at is not None else None
        if isinstance(line, cst.SimpleStatementLine) and isinstance(line.body[0], cst.ImportFrom):
            imp = line.body[0]
            if isinstance(imp.names, cst.ImportStar):
                continue
            present = {dotted(a.name) for a in imp.names}
            extra = [o for o in wanted if o not in present]
            if extra and at is not None:
                names = [*imp.names[:-1],
                         imp.names[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT),
                         *(cst.ImportAlias(cst.Name(o)) for o in extra)]
                body[at] = line.with_changes(body=[imp.with_changes(names=names)])
            continue
        additions.append(cst.SimpleStatementLine([cst.ImportFrom(
            module=_dotted_expr(name), names=[cst.ImportAlias(cst.Name(o)) for o in wanted])]))
    return module.with_changes(body=[*body[:insert_at], *additions, *body[insert_at:]])


def _dotted_expr(name: str) -> cst.Attribute | cst.Name:
    head, *rest = name.split(".")
    node: cst.Attribute | cst.Name = cst.Name(head)
    for part in rest:
        node = cst.Attribute(node, cst.Name(part))
    return node


def transform(
    path: str, source: bytes, rule_ids: Sequence[str], file: FileContext = NO_CONTEXT
) -> Outcome:
    """Run the rules ``rule_ids`` over one file's bytes. Never raises for bad input."""
    imported = imported_packages(source)
    rules = [
        REGISTRY.rules[rule_id] for rule_id in rule_ids
        if REGISTRY.rules[rule_id].applies_to(source, imported)
        or (file.make_async or file.await_at or file.bridge_at)
    ]
    if not rules:
        return Outcome(path, "unchanged", "no selected rule applies (import gate, triggers)")
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError as exc:
        return Outcome(path, "failed", f"syntax error: {exc.message} (line {exc.raw_line}); "
                       "fix the syntax or leave the file out")
    except (UnicodeDecodeError, LookupError, SyntaxError) as exc:
        return Outcome(path, "failed", f"cannot decode source: {exc}")
    context = CodemodContext(filename=path)
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    rewrite = Pass(rules, context, wrapper, file, source)
    try:
        new_module = module.visit(rewrite)
        if rewrite.imports:
            new_module = add_imports(new_module, rewrite.imports)
        new = new_module.bytes
        check_parses(new, path)
    except InputError as exc:
        return Outcome(path, "failed", str(exc))
    except Exception as exc:
        return Outcome(path, "failed", f"internal error in a rule: {type(exc).__name__}: {exc} "
                       "(please report this as an asyncify bug)")
    if new == source:
        return Outcome(path, "unchanged", "nothing to convert")
    return Outcome(path, "changed", new=new, todos=rewrite.todos, rules=sorted(rewrite.fired))
