"""Name resolution and a little type inference over the index.

Given a ref (see ``_summary``) inside a function, say what it denotes: a *symbol* (a module,
function, class or external callable, by qualified name) or an *object* of a known type (a
``requests.Session`` held in ``self.session``, a cursor yielded by a user context manager).
Anything it cannot tell is ``None``; the call graph treats that as "not evidence".
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from typing import Literal

from ._catalog import AttributeIO, Catalog
from ._index import Index, Module
from ._summary import UNKNOWN, ClassSummary, FunctionSummary, Import, Ref

_BUILTINS = frozenset(dir(builtins))
_MAX_DEPTH = 40
_CONTEXT_MANAGER_DECORATORS = frozenset({"contextlib.contextmanager"})
# A catalog ``[types]`` value: the call returns an instance of the class passed first.
_FIRST_ARGUMENT_CLASS = "$1"


@dataclass(frozen=True, slots=True)
class Value:
    """What an expression denotes. ``origin`` names the variable holding an object."""

    kind: Literal["sym", "obj", "var"]
    qname: str
    origin: str | None = None


@dataclass(frozen=True, slots=True)
class Scope:
    """Where a ref is evaluated: a function (or a module body) of a module."""

    module: Module
    fn: FunctionSummary
    qname: str
    cls: str | None = None
    outer: Scope | None = None  # the enclosing function, for a closure


@dataclass(frozen=True, slots=True)
class FunctionDef:
    qname: str
    module: Module
    summary: FunctionSummary
    cls: str | None
    parent: str | None = None


@dataclass(frozen=True, slots=True)
class ClassDef:
    qname: str
    module: Module
    summary: ClassSummary


@dataclass(frozen=True, slots=True)
class _Assignment:
    """A module-level variable's assignment (possibly made through ``global`` in a function)."""

    ref: Ref
    scope: Scope
    kind: str


# ("import", qname) | ("def", qname) | ("var", _Assignment)
_Binding = tuple[str, "str | _Assignment"]


class Resolver:
    def __init__(self, index: Index, catalog: Catalog) -> None:
        self.index = index
        self.catalog = catalog
        self.functions: dict[str, FunctionDef] = {}
        self.classes: dict[str, ClassDef] = {}
        self.bodies: dict[str, Scope] = {}
        self._scopes: dict[str, dict[str, list[_Binding]]] = {}
        self._memo: dict[tuple[str, str], Value | None] = {}
        self._active: set[tuple[str, str]] = set()
        self._mro: dict[str, list[str]] = {}
        self._names: dict[tuple[str, str], Value | None] = {}
        self._active_names: set[tuple[str, str]] = set()
        self._local_tables: dict[str, dict[str, list[tuple[str, Ref, str]]]] = {}
        self._canonical: dict[str, str] = {}
        self._attribute_io: dict[tuple[str, str], tuple[AttributeIO, str] | None] = {}
        self.imported_packages: set[str] = set()
        for module in index.modules.values():
            self._register(module)

    # --- tables -----------------------------------------------------------------------

    def _register(self, module: Module) -> None:
        name, summary = module.name, module.summary
        self.bodies[name] = Scope(module, summary.body, name)
        for fn in summary.functions.values():
            parent = f"{name}.{fn.parent}" if fn.parent else None
            self.functions[f"{name}.{fn.qualname}"] = FunctionDef(
                f"{name}.{fn.qualname}", module, fn, None, parent)
        for cls in summary.classes.values():
            cls_qname = f"{name}.{cls.name}"
            self.classes[cls_qname] = ClassDef(cls_qname, module, cls)
            for method in cls.methods.values():
                self.functions[f"{name}.{method.qualname}"] = FunctionDef(
                    f"{name}.{method.qualname}", module, method, cls_qname)
        for imp in summary.imports:
            self.imported_packages.add(self.import_target(module, imp).partition(".")[0])

    def scope_of(self, fn: FunctionDef) -> Scope:
        outer = self.functions.get(fn.parent) if fn.parent else None
        return Scope(
            fn.module, fn.summary, fn.qname, fn.cls,
            self.scope_of(outer) if outer is not None else None,
        )

    def import_target(self, module: Module, imp: Import) -> str:
        base = self.absolute(module, imp.level, imp.module)
        if imp.level == 0 and base and self.index.aliases:
            base = self._unalias(base)
        return base if imp.name is None else (f"{base}.{imp.name}" if base else imp.name)

    def _unalias(self, name: str) -> str:
        """``name`` with its longest aliased prefix replaced by the module's own name
        (``import api`` beside ``backend/api.py``; ``backend.api.routes`` for the package
        ``backend/api/``), unless the prefix is itself a module."""
        parts = name.split(".")
        for end in range(len(parts), 0, -1):
            prefix = ".".join(parts[:end])
            if prefix in self.index.modules:
                return name
            target = self.index.aliases.get(prefix)
            if target is not None:
                return ".".join([target, *parts[end:]])
        return name

    @staticmethod
    def absolute(module: Module, level: int, name: str) -> str:
        if level == 0:
            return name
        parts = module.name.split(".")
        keep = len(parts) - level + (1 if module.file.is_package else 0)
        base = ".".join(parts[: max(keep, 0)])
        return f"{base}.{name}" if base and name else base or name

    def _module_scope(self, name: str) -> dict[str, list[_Binding]]:
        table = self._scopes.get(name)
        if table is not None:
            return table
        module = self.index.modules[name]
        table = {}
        body = self.bodies[name]
        stars: list[str] = []
        for imp in module.summary.imports:
            if imp.name == "*":
                stars.append(self.import_target(module, Import("", imp.level, imp.module,
                                                               None, imp.line)))
            elif imp.local:
                table.setdefault(imp.local, []).append(("import", self.import_target(module, imp)))
        for fn_name in module.summary.functions:
            table.setdefault(fn_name, []).append(("def", f"{name}.{fn_name}"))
        for cls_name in module.summary.classes:
            table.setdefault(cls_name, []).append(("def", f"{name}.{cls_name}"))
        for var, ref, kind in body.fn.bindings:
            if kind == "import":
                target = self._import_ref(module, ref)
                table.setdefault(var, []).append(("import", target))
            elif kind != "for":
                table.setdefault(var, []).append(("var", _Assignment(ref, body, kind)))
        for fn_name, fn in module.summary.functions.items():
            if fn.global_names:
                scope = Scope(module, fn, f"{name}.{fn_name}")
                for var, ref, kind in fn.bindings:
                    if var in fn.global_names and kind not in ("for", "import"):
                        table.setdefault(var, []).append(("var", _Assignment(ref, scope, kind)))
        self._scopes[name] = table
        for target in stars:  # ``from .queries import *``: its public names, unless bound here
            if target in self.index.modules and target != name:
                for var in list(self._module_scope(target)):
                    if not var.startswith("_") and var not in table:
                        table[var] = [("import", f"{target}.{var}")]
        return table

    def _import_ref(self, module: Module, ref: Ref) -> str:
        _, level, mod, name = ref
        return self.import_target(module, Import("", level, mod, name, 0))

    # --- symbols ----------------------------------------------------------------------

    def canonical(self, qname: str, depth: int = 0) -> str:
        """Follow re-exports through the project's modules; external names via the catalog."""
        found = self._canonical.get(qname)
        if found is None:
            found = self._canonical[qname] = self._follow(qname, depth)
        return found

    def _follow(self, qname: str, depth: int) -> str:
        if depth > _MAX_DEPTH or qname in self.index.modules:
            return qname
        head, _, _ = qname.rpartition(".")
        prefix = head
        while prefix and prefix not in self.index.modules:
            prefix = prefix.rpartition(".")[0]
        if not prefix:
            return self.catalog.canonical(qname)
        rest = qname[len(prefix) + 1 :].split(".")
        bindings = self._module_scope(prefix).get(rest[0], [])
        for kind, target in bindings:
            if kind == "import":
                assert isinstance(target, str)
                return self.canonical(".".join([target, *rest[1:]]), depth + 1)
            if kind == "def":
                break
        return qname

    def value_of_symbol(self, qname: str, depth: int = 0) -> Value | None:
        if qname in self.index.modules or qname in self.functions or qname in self.classes:
            return Value("sym", qname)
        module, _, var = qname.rpartition(".")
        if module in self.index.modules:
            bindings = [b for b in self._module_scope(module).get(var, []) if b[0] == "var"]
            if bindings:
                return self._var(qname, bindings, depth)
            cls = self.classes.get(module)
            if cls is not None:
                return self._class_member(module, var, depth)
        if module in self.classes:
            return self._class_member(module, var, depth)
        return Value("sym", qname)

    def _var(self, qname: str, bindings: list[_Binding], depth: int) -> Value:
        key = ("var", qname)
        if key in self._memo:
            return self._memo[key] or Value("var", qname, qname)
        if key in self._active:
            return Value("var", qname, qname)
        self._active.add(key)
        found: Value | None = None
        try:
            for _, site in bindings:
                assert isinstance(site, _Assignment)
                found = self._binding_value(site.ref, site.scope, site.kind, depth + 1)
                if found is not None and found.kind != "var":
                    break
        finally:
            self._active.discard(key)
        result = Value(found.kind, found.qname, qname) if found is not None else None
        self._memo[key] = result
        return result or Value("var", qname, qname)

    # --- refs -------------------------------------------------------------------------

    def resolve(self, ref: Ref, scope: Scope, depth: int = 0) -> Value | None:
        """What ``ref`` denotes inside ``scope``; ``None`` when it cannot be told."""
        if depth > _MAX_DEPTH:
            return None
        tag = ref[0]
        if tag == "n":
            return self._name(ref[1], scope, depth)
        if tag == "a":
            base = self.resolve(ref[1], scope, depth + 1)
            return None if base is None else self.member(base, ref[2], depth + 1)
        if tag == "c":
            return self._call(ref, scope, depth)
        return None

    def _name(self, name: str, scope: Scope, depth: int) -> Value | None:
        key = (scope.qname, name)
        if key in self._names:
            return self._names[key]
        if key in self._active_names:
            return None
        self._active_names.add(key)
        try:
            found = self._lookup_name(name, scope, depth)
        finally:
            self._active_names.discard(key)
        self._names[key] = found
        return found

    def _locals(self, scope: Scope) -> dict[str, list[tuple[str, Ref, str]]]:
        table = self._local_tables.get(scope.qname)
        if table is None:
            table = {}
            for binding in scope.fn.bindings:
                if binding[2] != "for":
                    table.setdefault(binding[0], []).append(binding)
            self._local_tables[scope.qname] = table
        return table

    def _lookup_name(self, name: str, scope: Scope, depth: int) -> Value | None:
        fn = scope.fn
        if fn.qualname != "<module>" and name not in fn.global_names:
            local = self._locals(scope).get(name)
            if local:
                origin = f"{scope.qname}.<locals>.{name}"
                for _, ref, kind in local:
                    found = self._binding_value(ref, scope, kind, depth + 1)
                    if found is not None and found.kind != "var":
                        return Value(found.kind, found.qname, found.origin or origin)
                return Value("var", origin, origin)
            # A function defined in this one (``def inner(): …`` then ``inner()``), seen from
            # here or, through ``scope.outer``, from a sibling nested function.
            nested = f"{scope.qname}.<locals>.{name}"
            if nested in self.functions:
                return Value("sym", nested)
            for index, (param, annotation) in enumerate(fn.params):
                if param != name:
                    continue
                if index == 0 and scope.cls is not None and not self._is_static(fn):
                    if self._is_classmethod(fn):
                        return Value("sym", scope.cls)
                    return Value("obj", scope.cls)
                if annotation is not None:
                    typ = self.resolve(annotation, self.bodies[scope.module.name], depth + 1)
                    if typ is not None and typ.kind == "sym":
                        return Value("obj", typ.qname, f"{scope.qname}.<locals>.{name}")
                return Value("var", f"{scope.qname}.<locals>.{name}")
            if scope.outer is not None:
                return self._name(name, scope.outer, depth + 1)
        for kind, target in self._module_scope(scope.module.name).get(name, []):
            if kind in ("import", "def"):
                assert isinstance(target, str)
                return self.value_of_symbol(self.canonical(target, depth), depth + 1)
            return self.value_of_symbol(f"{scope.module.name}.{name}", depth + 1)
        if name in _BUILTINS:
            return Value("sym", f"builtins.{name}")
        return None

    def _binding_value(self, ref: Ref, scope: Scope, kind: str, depth: int) -> Value | None:
        if kind == "import":
            target = self._import_ref(scope.module, ref)
            return self.value_of_symbol(self.canonical(target, depth), depth + 1)
        if kind == "ann":
            typ = self.resolve(ref, scope, depth + 1)
            return Value("obj", typ.qname) if typ is not None and typ.kind == "sym" else None
        if kind == "with":
            return self._entered(ref, scope, depth)
        return self.resolve(ref, scope, depth + 1)

    def _entered(self, ref: Ref, scope: Scope, depth: int) -> Value | None:
        """The value bound by ``with ref as x``."""
        if ref[0] == "c":
            func = self.resolve(ref[1], scope, depth + 1)
            if func is not None and func.kind == "sym" and func.qname in self.functions:
                target = self.functions[func.qname]
                if self.is_context_manager(target):
                    return self._first(target.summary.yields, self.scope_of(target), depth)
        value = self.resolve(ref, scope, depth + 1)
        if value is not None and value.kind == "obj" and value.qname in self.classes:
            enter = self.lookup_method(value.qname, "__enter__")
            if enter is not None:
                returns = self.functions[enter].summary.returns
                if returns and returns[0] != ("n", "self"):
                    return self._first(returns, self.scope_of(self.functions[enter]), depth)
        return value

    def _call(self, ref: Ref, scope: Scope, depth: int) -> Value | None:
        func_ref = ref[1]
        if func_ref == ("n", "super") and scope.cls is not None:
            return Value("obj", scope.cls, "super")
        func = self.resolve(func_ref, scope, depth + 1)
        if func is None or func.kind != "sym":
            return None
        qname = func.qname
        if qname in self.classes:
            return Value("obj", qname)
        target = self.functions.get(qname)
        if target is not None:
            key = ("ret", qname)
            if key in self._memo:
                return self._memo[key]
            if key in self._active:
                return None
            self._active.add(key)
            try:
                found = self._annotated(target, depth) or self._first(
                    target.summary.returns, self.scope_of(target), depth)
            finally:
                self._active.discard(key)
            self._memo[key] = found
            return found
        returned = self.catalog.returns(qname)
        if returned == _FIRST_ARGUMENT_CLASS:
            # ``session.get(Note, 1)``: an instance of the class passed first.
            cls = self.resolve(ref[2][0], scope, depth + 1) if ref[2] else None
            return Value("obj", cls.qname) if (
                cls is not None and cls.kind == "sym" and cls.qname in self.classes) else None
        if returned is None:
            # ``relationship(..., lazy="dynamic")``: what reading the attribute gives.
            spec = self.catalog.attribute(qname)
            returned = spec.read_type(ref[3]) if spec is not None else None
        return Value("obj", returned) if returned is not None else None

    def _annotated(self, fn: FunctionDef, depth: int) -> Value | None:
        """The type a function's return annotation names, when it names a class."""
        annotation = fn.summary.annotation
        if annotation is None or annotation == UNKNOWN or fn.summary.yields:
            return None
        typ = self.resolve(annotation, self.definition_scope(fn), depth + 1)
        return Value("obj", typ.qname) if typ is not None and typ.kind == "sym" else None

    def returned(self, qname: str) -> Value | None:
        """What a call of the project function ``qname`` returns (or, for a context manager,
        what ``with`` binds), when the index can tell: e.g. ``obj`` of a library type."""
        fn = self.functions.get(qname)
        if fn is None:
            return None
        refs = fn.summary.yields if self.is_context_manager(fn) else fn.summary.returns
        return self._first(refs, self.scope_of(fn), 0)

    def returned_class(self, qname: str) -> str | None:
        """The project class whose instance a call of the function ``qname`` returns, by its
        return statements or else its return annotation."""
        fn = self.functions.get(qname)
        if fn is None:
            return None
        value = self.returned(qname) or self._annotated(fn, 0)
        if value is None or value.kind != "obj" or value.qname not in self.classes:
            return None
        return value.qname

    def _first(self, refs: list[Ref], scope: Scope, depth: int) -> Value | None:
        for ref in refs:
            if ref == UNKNOWN or ref[0] == "k":
                continue
            found = self.resolve(ref, scope, depth + 1)
            if found is not None and found.kind != "var":
                return Value(found.kind, found.qname)
        return None

    # --- members ----------------------------------------------------------------------

    def member(self, base: Value, attr: str, depth: int = 0) -> Value | None:
        if base.kind == "var":
            return None
        if base.kind == "sym":
            if base.qname in self.index.modules:
                return self.value_of_symbol(self.canonical(f"{base.qname}.{attr}", depth), depth)
            if base.qname in self.classes:
                return self._class_member(base.qname, attr, depth)
            if base.qname in self.functions:
                return None
            return Value("sym", self.catalog.canonical(f"{base.qname}.{attr}"))
        # An object: an instance of a user class or of an external type.
        if base.qname in self.classes:
            skip_self = base.origin == "super"
            return self._instance_member(base.qname, attr, depth, skip_self)
        return Value("sym", self.catalog.canonical(f"{base.qname}.{attr}"))

    def mro(self, cls_qname: str) -> list[str]:
        """The class and its bases, user classes by qname, external bases by canonical name."""
        cached = self._mro.get(cls_qname)
        if cached is not None:
            return cached
        order: list[str] = []
        stack = [cls_qname]
        while stack:
            current = stack.pop(0)
            if current in order:
                continue
            order.append(current)
            cls = self.classes.get(current)
            if cls is None:
                continue
            body = self.bodies[cls.module.name]
            for base_ref in cls.summary.bases:
                base = self.resolve(base_ref, body)
                if base is not None and base.kind == "sym":
                    stack.append(base.qname)
        self._mro[cls_qname] = order
        return order

    def lookup_method(self, cls_qname: str, name: str, skip_self: bool = False) -> str | None:
        for current in self.mro(cls_qname)[1 if skip_self else 0 :]:
            cls = self.classes.get(current)
            if cls is not None and name in cls.summary.methods:
                return f"{current}.{name}"
        return None

    def attribute_io(self, cls_qname: str, attr: str) -> tuple[AttributeIO, str] | None:
        """The catalog entry that makes reading ``attr`` on an instance of the user class
        ``cls_qname`` do I/O (a lazy ``relationship()``), with the class declaring it."""
        key = (cls_qname, attr)
        if key in self._attribute_io:
            return self._attribute_io[key]
        found: tuple[AttributeIO, str] | None = None
        if self.lookup_method(cls_qname, attr) is None:
            for current in self.mro(cls_qname):
                cls = self.classes.get(current)
                ref = cls.summary.attrs.get(attr) if cls is not None else None
                if cls is None or ref is None:
                    continue
                if ref[0] == "c":
                    func = self.resolve(ref[1], self.bodies[cls.module.name])
                    spec = self.catalog.attribute(func.qname) if (
                        func is not None and func.kind == "sym") else None
                    if spec is not None and spec.loads_on_read(ref[3]):
                        found = (spec, current)
                break
        self._attribute_io[key] = found
        return found

    def external_bases(self, cls_qname: str) -> list[str]:
        return [c for c in self.mro(cls_qname) if c not in self.classes]

    def _class_member(self, cls_qname: str, attr: str, depth: int) -> Value | None:
        method = self.lookup_method(cls_qname, attr)
        if method is not None:
            return Value("sym", method)
        for current in self.mro(cls_qname):
            cls = self.classes.get(current)
            if cls is None:
                return Value("sym", self.catalog.canonical(f"{current}.{attr}"))
            if attr in cls.summary.attrs:
                found = self.resolve(cls.summary.attrs[attr], self.bodies[cls.module.name], depth)
                return found or Value("var", f"{current}.{attr}", f"{current}.{attr}")
        return None

    def _instance_member(
        self, cls_qname: str, attr: str, depth: int, skip_self: bool = False
    ) -> Value | None:
        method = self.lookup_method(cls_qname, attr, skip_self)
        if method is not None:
            return Value("sym", method)
        origin = f"{cls_qname}.{attr}"
        key = ("attr", origin)
        if key in self._memo:
            return self._memo[key]
        if key in self._active:
            return None
        self._active.add(key)
        found: Value | None = None
        try:
            for current in self.mro(cls_qname):
                cls = self.classes.get(current)
                if cls is None:
                    found = Value("sym", self.catalog.canonical(f"{current}.{attr}"))
                    break
                found = self._assigned_attr(cls, attr, depth)
                if found is not None:
                    break
        finally:
            self._active.discard(key)
        result = Value(found.kind, found.qname, origin) if found is not None else None
        self._memo[key] = result
        return result

    def _assigned_attr(self, cls: ClassDef, attr: str, depth: int) -> Value | None:
        for method in cls.summary.methods.values():
            for name, ref in method.self_attrs:
                if name == attr:
                    fn = self.functions[f"{cls.module.name}.{method.qualname}"]
                    found = self.resolve(ref, self.scope_of(fn), depth + 1)
                    if found is not None and found.kind != "var":
                        return found
        if attr in cls.summary.attrs:
            return self.resolve(cls.summary.attrs[attr], self.bodies[cls.module.name], depth)
        return None

    # --- decorators -------------------------------------------------------------------

    def decorator_names(self, fn: FunctionDef) -> list[str]:
        """Qualified names of ``fn``'s decorators (a call ``@d(...)`` counts as ``d``)."""
        where = self.definition_scope(fn)
        names = []
        for ref in fn.summary.decorators:
            target = ref[1] if ref[0] == "c" else ref
            value = self.resolve(target, where)
            if value is not None and value.kind == "sym":
                names.append(value.qname)
        return names

    def definition_scope(self, fn: FunctionDef) -> Scope:
        """Where ``fn``'s decorators were evaluated: the enclosing function or the module."""
        outer = self.functions.get(fn.parent) if fn.parent else None
        return self.scope_of(outer) if outer is not None else self.bodies[fn.module.name]

    def is_context_manager(self, fn: FunctionDef) -> bool:
        return bool(_CONTEXT_MANAGER_DECORATORS & set(self.decorator_names(fn)))

    @staticmethod
    def _is_static(fn: FunctionSummary) -> bool:
        return ("n", "staticmethod") in fn.decorators

    @staticmethod
    def _is_classmethod(fn: FunctionSummary) -> bool:
        return ("n", "classmethod") in fn.decorators
