"""One pass of ``ast`` over a file, kept as a small picklable summary.

The summary holds only what the source itself says (imports, definitions, calls, bindings),
never what another file says, so it can be cached by content hash and resolved later.

Expressions are kept as *refs*, nested tuples:

- ``("n", name)``: a name; ``("a", base, attr)``: an attribute of ``base``;
- ``("c", func, args, kwargs, line, col)``: a call (``kwargs`` is a tuple of ``(name, ref)``);
- ``("k", value)``: a literal (a tuple for a list or tuple of literals);
- ``("i", level, module, name)``: what a function-level import binds;
- ``("?",)``: anything else.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from typing import Any

Ref = tuple[Any, ...]
UNKNOWN: Ref = ("?",)

# A loop over range(N) with N at least this is a CPU-heavy hint.
BIG_RANGE = 10_000

# ``# asyncify: ignore`` or ``# asyncify: ignore[ASY600, ASY610]`` on a line (used by ``check``).
_SUPPRESSION = re.compile(r"#\s*asyncify:\s*ignore(?:\[([A-Za-z0-9_,\s]*)\])?")


@dataclass(slots=True)
class Call:
    ref: Ref
    line: int
    col: int
    in_loop: bool
    # How the result is used: "await", "stmt" (dropped), "bool" (a condition), "lambda" (inside
    # a lambda, so it runs later), or "" (anything else).
    context: str = ""


@dataclass(slots=True)
class Construct:
    """Something in a function that will need a human when the function turns async."""

    kind: str
    line: int
    detail: str


@dataclass(slots=True)
class FunctionSummary:
    qualname: str
    line: int
    end_line: int
    is_async: bool
    decorators: list[Ref]
    params: list[tuple[str, Ref | None]]
    calls: list[Call] = field(default_factory=list)
    bindings: list[tuple[str, Ref, str]] = field(default_factory=list)
    self_attrs: list[tuple[str, Ref]] = field(default_factory=list)
    returns: list[Ref] = field(default_factory=list)
    yields: list[Ref] = field(default_factory=list)
    global_names: list[str] = field(default_factory=list)
    constructs: list[Construct] = field(default_factory=list)
    cpu_hints: list[Construct] = field(default_factory=list)
    parent: str | None = None  # the enclosing function's qualname, for a nested function
    annotation: Ref | None = None  # the return annotation
    self_reads: list[tuple[str, int]] = field(default_factory=list)  # self.<attr> loads
    # Attribute loads that are not the called function (``note.tags``, ``self.tags``):
    # (ref, line, col, in_loop). An ORM relationship read there may run a query.
    reads: list[tuple[Ref, int, int, bool]] = field(default_factory=list)
    # Sync ``with`` items whose body awaits: (context expression, line, col).
    held_across_await: list[tuple[Ref, int, int]] = field(default_factory=list)


@dataclass(slots=True)
class ClassSummary:
    name: str
    line: int
    bases: list[Ref]
    decorators: list[Ref]
    methods: dict[str, FunctionSummary]
    attrs: dict[str, Ref]


@dataclass(slots=True)
class Import:
    local: str
    level: int
    module: str
    name: str | None  # None for ``import module``
    line: int


@dataclass(slots=True)
class ModuleSummary:
    lines: int
    imports: list[Import]
    functions: dict[str, FunctionSummary]
    classes: dict[str, ClassSummary]
    body: FunctionSummary  # module-level statements, as a pseudo-function "<module>"
    # line → rule IDs silenced there by ``# asyncify: ignore[...]`` (empty: every rule).
    suppressions: dict[int, tuple[str, ...]] = field(default_factory=dict)


def last_name(ref: Ref) -> str:
    """The last name of ``f`` / ``x.f`` (``f``), for cheap name filters; "" for other refs."""
    if ref[0] == "n":
        return str(ref[1])
    if ref[0] == "a":
        return str(ref[2])
    return ""


def summarize(source: str, filename: str = "<unknown>") -> ModuleSummary:
    """Summarize ``source``. :raises SyntaxError: the source does not parse."""
    tree = ast.parse(source, filename=filename)
    builder = _Builder()
    body = FunctionSummary("<module>", 1, len(source.splitlines()), False, [], [])
    builder.run_body(tree.body, body)
    return ModuleSummary(
        lines=source.count("\n") + (0 if source.endswith("\n") or not source else 1),
        imports=builder.imports,
        functions=builder.functions,
        classes=builder.classes,
        body=body,
        suppressions=_suppressions(source) if "asyncify:" in source else {},
    )


def _suppressions(source: str) -> dict[int, tuple[str, ...]]:
    found: dict[int, tuple[str, ...]] = {}
    for number, line in enumerate(source.splitlines(), 1):
        match = _SUPPRESSION.search(line) if "asyncify:" in line else None
        if match is not None:
            codes = match.group(1) or ""
            found[number] = tuple(c.strip().upper() for c in codes.split(",") if c.strip())
    return found


class _Builder:
    def __init__(self) -> None:
        self.imports: list[Import] = []
        self.functions: dict[str, FunctionSummary] = {}
        self.classes: dict[str, ClassSummary] = {}
        self.fn: FunctionSummary = FunctionSummary("<module>", 0, 0, False, [], [])
        self.loops = 0
        self.range_loops = 0
        self.awaits = 0
        self.top_level = True

    # --- statements -------------------------------------------------------------------

    def run_body(self, body: list[ast.stmt], fn: FunctionSummary) -> None:
        saved = self.fn, self.loops, self.range_loops, self.awaits
        self.fn, self.loops, self.range_loops = fn, 0, 0
        for stmt in body:
            self.stmt(stmt)
        self.fn, self.loops, self.range_loops, self.awaits = saved

    def stmt(self, node: ast.stmt) -> None:
        if isinstance(node, ast.Expr):
            self.used(node.value, "stmt")
        elif isinstance(node, ast.Assign):
            self.assign(node)
        elif isinstance(node, ast.Return):
            if node.value is not None:
                self.fn.returns.append(self.expr(node.value))
        elif isinstance(node, ast.If | ast.While):
            self.test(node.test)
            loop = isinstance(node, ast.While)
            self.loops += loop
            for s in node.body:
                self.stmt(s)
            self.loops -= loop
            for s in node.orelse:
                self.stmt(s)
        elif isinstance(node, ast.For | ast.AsyncFor):
            self.for_(node)
        elif isinstance(node, ast.With | ast.AsyncWith):
            entered = []
            for item in node.items:
                value = self.expr(item.context_expr)
                entered.append((value, item.context_expr.lineno, item.context_expr.col_offset + 1))
                if isinstance(item.optional_vars, ast.Name):
                    self.fn.bindings.append((item.optional_vars.id, value, "with"))
            awaits = self.awaits
            for s in node.body:
                self.stmt(s)
            if self.awaits > awaits and isinstance(node, ast.With):
                self.fn.held_across_await.extend(entered)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            self.function(node)
        elif isinstance(node, ast.ClassDef):
            self.class_(node)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            self.import_(node)
        elif isinstance(node, ast.Try | ast.TryStar):
            for s in node.body:
                self.stmt(s)
            for handler in node.handlers:
                if handler.type is not None:
                    self.expr(handler.type)
                for s in handler.body:
                    self.stmt(s)
            for s in (*node.orelse, *node.finalbody):
                self.stmt(s)
        elif isinstance(node, ast.AnnAssign):
            self.ann_assign(node)
        elif isinstance(node, ast.AugAssign):
            self.expr(node.value)
        elif isinstance(node, ast.Global):
            self.fn.global_names.extend(node.names)
        elif isinstance(node, ast.Match):
            self.expr(node.subject)
            for case in node.cases:
                for s in case.body:
                    self.stmt(s)
        elif isinstance(node, ast.Raise):
            if node.exc is not None:
                self.expr(node.exc)
        elif isinstance(node, ast.Assert):
            self.test(node.test)
            if node.msg is not None:
                self.expr(node.msg)
        elif isinstance(node, ast.Delete):
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.expr):
                    self.expr(child)

    def assign(self, node: ast.Assign) -> None:
        value = self.expr(node.value)
        for target in node.targets:
            self.bind_target(target, value)

    def ann_assign(self, node: ast.AnnAssign) -> None:
        value = self.expr(node.value) if node.value is not None else UNKNOWN
        annotation = _annotation(node.annotation)
        if isinstance(node.target, ast.Name):
            self.fn.bindings.append((node.target.id, annotation, "ann"))
            if node.value is not None:
                self.fn.bindings.append((node.target.id, value, "="))
        else:
            self.bind_target(node.target, value)

    def bind_target(self, target: ast.expr, value: Ref) -> None:
        if isinstance(target, ast.Name):
            self.fn.bindings.append((target.id, value, "="))
        elif isinstance(target, ast.Attribute):
            if isinstance(target.value, ast.Name) and target.value.id == "self":
                self.fn.self_attrs.append((target.attr, value))
            else:
                self.expr(target.value)
        elif isinstance(target, ast.Tuple | ast.List):
            for element in target.elts:
                self.bind_target(element, UNKNOWN)
        elif isinstance(target, ast.Subscript):
            self.expr(target.value)
            self.expr(target.slice)

    def for_(self, node: ast.For | ast.AsyncFor) -> None:
        iterable = self.expr(node.iter)
        if isinstance(node.target, ast.Name):
            self.fn.bindings.append((node.target.id, ("iter", iterable), "for"))
        numeric = _is_range(node.iter)
        if self.loops >= 2:
            self.fn.cpu_hints.append(
                Construct("nested-loops", node.lineno, "three or more nested loops")
            )
        elif self.loops == 1 and (numeric or self.range_loops):
            self.fn.cpu_hints.append(
                Construct("nested-loops", node.lineno, "nested numeric loops over range()")
            )
        if _is_big_range(node.iter):
            self.fn.cpu_hints.append(
                Construct("big-loop", node.lineno, "loop over range() of 10,000 or more")
            )
        self.loops += 1
        self.range_loops += numeric
        for s in node.body:
            self.stmt(s)
        self.loops -= 1
        self.range_loops -= numeric
        for s in node.orelse:
            self.stmt(s)

    def function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        # Decorators are evaluated in the enclosing scope.
        decorators = [self.expr(d) for d in node.decorator_list]
        parent = None if self.top_level else self.fn.qualname
        qualname = node.name if parent is None else f"{parent}.<locals>.{node.name}"
        fn = FunctionSummary(
            qualname,
            node.lineno,
            node.end_lineno or node.lineno,
            isinstance(node, ast.AsyncFunctionDef),
            decorators,
            _params(node.args),
            parent=parent,
            annotation=_annotation(node.returns) if node.returns is not None else None,
        )
        self.functions[qualname] = fn
        saved, self.top_level = self.top_level, False
        self.run_body(node.body, fn)
        self.top_level = saved

    def nested(self, body: list[ast.stmt]) -> None:
        for s in body:
            self.stmt(s)

    def class_(self, node: ast.ClassDef) -> None:
        bases = [self.expr(b) for b in node.bases]
        decorators = [self.expr(d) for d in node.decorator_list]
        if not self.top_level:
            self.nested(node.body)
            return
        cls = ClassSummary(node.name, node.lineno, bases, decorators, {}, {})
        self.classes[node.name] = cls
        self.top_level = False
        attrs_fn = FunctionSummary(f"{node.name}.<body>", node.lineno, node.lineno, False, [], [])
        for stmt in node.body:
            if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
                decorators = [self.expr(d) for d in stmt.decorator_list]
                method = FunctionSummary(
                    f"{node.name}.{stmt.name}",
                    stmt.lineno,
                    stmt.end_lineno or stmt.lineno,
                    isinstance(stmt, ast.AsyncFunctionDef),
                    decorators,
                    _params(stmt.args),
                    annotation=_annotation(stmt.returns) if stmt.returns is not None else None,
                )
                cls.methods[stmt.name] = method
                self.run_body(stmt.body, method)
            else:
                saved = self.fn
                self.fn = attrs_fn
                self.stmt(stmt)
                self.fn = saved
        for name, value, kind in attrs_fn.bindings:
            if kind in ("=", "ann") and (kind == "=" or name not in cls.attrs):
                cls.attrs[name] = value
        # Calls made in the class body run at import time, like module-level code.
        self.fn.calls.extend(attrs_fn.calls)
        self.top_level = True

    def import_(self, node: ast.Import | ast.ImportFrom) -> None:
        if isinstance(node, ast.Import):
            entries = [
                Import(
                    alias.asname or alias.name.partition(".")[0],
                    0,
                    alias.name if alias.asname else alias.name.partition(".")[0],
                    None,
                    node.lineno,
                )
                for alias in node.names
            ]
            # ``import a.b.c`` binds ``a`` and also makes a.b.c importable: remember the full
            # name so the index can resolve ``a.b.c.f``.
            entries += [
                Import("", 0, alias.name, None, node.lineno)
                for alias in node.names
                if not alias.asname and "." in alias.name
            ]
        else:
            entries = [
                Import(alias.asname or alias.name, node.level, node.module or "", alias.name,
                       node.lineno)
                for alias in node.names
            ]
        if self.top_level:
            self.imports.extend(entries)
        else:
            for entry in entries:
                if entry.local:
                    ref = ("i", entry.level, entry.module, entry.name)
                    self.fn.bindings.append((entry.local, ref, "import"))

    # --- expressions ------------------------------------------------------------------

    def expr(self, node: ast.expr) -> Ref:
        if isinstance(node, ast.Name):
            return ("n", node.id)
        if isinstance(node, ast.Attribute):
            ref = self.attribute(node)
            self.fn.reads.append((ref, node.lineno, node.col_offset + 1, self.loops > 0))
            return ref
        if isinstance(node, ast.Call):
            return self.call(node)
        if isinstance(node, ast.Constant):
            const = node.value
            return ("k", const) if isinstance(const, str | int | float | None) else UNKNOWN
        if isinstance(node, ast.List | ast.Tuple | ast.Set):
            items = [self.expr(e) for e in node.elts]
            if all(item[0] == "k" for item in items):
                return ("k", tuple(item[1] for item in items))
            return ("seq", tuple(items))
        if isinstance(node, ast.Await):
            self.awaits += 1
            return self.used(node.value, "await")
        if isinstance(node, ast.Yield | ast.YieldFrom):
            ref = self.expr(node.value) if node.value is not None else ("k", None)
            self.fn.yields.append(ref if isinstance(node, ast.Yield) else ("iter", ref))
            return UNKNOWN
        if isinstance(node, ast.Subscript):
            container = self.expr(node.value)
            return ("s", container, self.expr(node.slice))
        if isinstance(node, ast.Lambda):
            start, reads = len(self.fn.calls), len(self.fn.reads)
            self.expr(node.body)
            for call in self.fn.calls[start:]:
                call.context = "lambda"
            # A lambda's attribute reads run later, when (and where) it is called.
            del self.fn.reads[reads:]
            return UNKNOWN
        if isinstance(node, ast.BoolOp):
            for value in node.values:
                self.test(value)
            return UNKNOWN
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            self.test(node.operand)
            return UNKNOWN
        if isinstance(node, ast.IfExp):
            self.test(node.test)
            self.expr(node.body)
            self.expr(node.orelse)
            return UNKNOWN
        if isinstance(node, ast.NamedExpr):
            bound = self.expr(node.value)
            self.fn.bindings.append((node.target.id, bound, "="))
            return bound
        if isinstance(node, ast.ListComp | ast.SetComp | ast.GeneratorExp):
            self.comprehension(node.generators, (node.elt,))
            return UNKNOWN
        if isinstance(node, ast.DictComp):
            self.comprehension(node.generators, (node.key, node.value))
            return UNKNOWN
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr):
                self.expr(child)
            elif isinstance(child, ast.keyword | ast.comprehension):
                for grandchild in ast.iter_child_nodes(child):
                    if isinstance(grandchild, ast.expr):
                        self.expr(grandchild)
        return UNKNOWN

    def attribute(self, node: ast.Attribute) -> Ref:
        base = node.value
        if isinstance(base, ast.Name) and base.id == "self":
            # A property read runs code: remember it (calls are told apart later).
            self.fn.self_reads.append((node.attr, node.lineno))
            return ("a", ("n", "self"), node.attr)
        return ("a", self.expr(base), node.attr)

    def used(self, node: ast.expr, context: str) -> Ref:
        """``node``, noting how a call's result is used (``check`` reads it)."""
        ref = self.expr(node)
        if isinstance(node, ast.Call) and self.fn.calls:
            last = self.fn.calls[-1]
            if last.line == node.lineno and last.col == node.col_offset + 1:
                last.context = context
        return ref

    def test(self, node: ast.expr) -> Ref:
        return self.used(node, "bool")

    def comprehension(self, generators: list[ast.comprehension], elts: tuple[ast.expr, ...]) -> None:
        self.loops += 1
        for number, gen in enumerate(generators):
            reads = len(self.fn.reads)
            iterable = self.expr(gen.iter)
            if number == 0:
                # The first iterable is evaluated once, before the loop starts.
                self.fn.reads[reads:] = [
                    (ref, line, col, self.loops > 1) for ref, line, col, _ in self.fn.reads[reads:]
                ]
            if isinstance(gen.target, ast.Name):
                self.fn.bindings.append((gen.target.id, ("iter", iterable), "for"))
            for cond in gen.ifs:
                self.expr(cond)
        for elt in elts:
            self.expr(elt)
        self.loops -= 1

    def call(self, node: ast.Call) -> Ref:
        # ``obj.method(...)``: the attribute is called, not read.
        func = self.attribute(node.func) if isinstance(node.func, ast.Attribute) else (
            self.expr(node.func))
        args = tuple(self.expr(a.value if isinstance(a, ast.Starred) else a) for a in node.args)
        kwargs = tuple((k.arg, self.expr(k.value)) for k in node.keywords if k.arg is not None)
        for k in node.keywords:
            if k.arg is None:
                self.expr(k.value)
        ref: Ref = ("c", func, args, kwargs, node.lineno, node.col_offset + 1)
        self.fn.calls.append(Call(ref, node.lineno, node.col_offset + 1, self.loops > 0))
        if func[0] == "c" and func[1] == ("n", "getattr"):
            self.fn.constructs.append(
                Construct("dynamic-dispatch", node.lineno, "call through getattr()")
            )
        return ref


def _params(args: ast.arguments) -> list[tuple[str, Ref | None]]:
    every = [*args.posonlyargs, *args.args, *args.kwonlyargs]
    return [(a.arg, _annotation(a.annotation) if a.annotation else None) for a in every]


def _annotation(node: ast.expr) -> Ref:
    """A type annotation as a ref (strings are parsed; ``X | None`` and ``Optional[X]`` → X)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        try:
            node = ast.parse(node.value, mode="eval").body
        except SyntaxError:
            return UNKNOWN
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        left, right = node.left, node.right
        if isinstance(right, ast.Constant) and right.value is None:
            return _annotation(left)
        if isinstance(left, ast.Constant) and left.value is None:
            return _annotation(right)
        return UNKNOWN
    if isinstance(node, ast.Subscript):
        head = _annotation(node.value)
        if head in (("n", "Optional"), ("a", ("n", "typing"), "Optional")):
            return _annotation(node.slice)
        return UNKNOWN
    if isinstance(node, ast.Name):
        return ("n", node.id)
    if isinstance(node, ast.Attribute):
        base = _annotation(node.value)
        return UNKNOWN if base == UNKNOWN else ("a", base, node.attr)
    return UNKNOWN


def _is_range(node: ast.expr) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and (
        node.func.id == "range"
    )


def _is_big_range(node: ast.expr) -> bool:
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
        return False
    if node.func.id != "range" or not node.args:
        return False
    bound = node.args[1] if len(node.args) >= 2 else node.args[0]
    return isinstance(bound, ast.Constant) and isinstance(bound.value, int) and (
        bound.value >= BIG_RANGE
    )
