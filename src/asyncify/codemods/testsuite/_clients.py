"""What ASY701/ASY702 learn about a test module before walking it (one look at the whole
file, since a helper is often defined above the tests that call it):

- which ``self.<attr>``/``cls.<attr>`` hold a test client: every assignment to the attribute
  in the class's methods is ``<app>.test_client()``;
- which module-level functions return client responses (every ``return`` is one);
- which local names hold client responses (assigned only from client calls, those
  functions, or other such names);
- which parameters of module-level functions (and of methods called as ``self.<name>()``
  from their class) only ever receive client responses (every call in the file passes one
  there, and the function is used nowhere else): inside the function they are responses
  too. A parameter that receives responses at some calls only, read as a
  Flask response, is reported for a TODO.

The client names follow ASY701's: names assigned from ``test_client()`` anywhere in the
file and parameters named like the client fixture.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import libcst as cst

from .._rule import bound_name, dotted
from ._common import FIXTURE_NAMES, VERBS

# What tests read from a Flask response that is not the same on an httpx one.
FLASK_READS = frozenset({"data", "get_json", "get_data", "json", "mimetype", "is_json",
                         "location", "content_type", "status", "history", "request"})


@dataclass
class Function:
    qualname: str
    node: cst.FunctionDef
    cls: str | None  # the class whose method this is
    module_level: bool
    params: list[str]
    assigned: dict[str, list[cst.BaseExpression]] = field(default_factory=dict)
    returns: list[cst.BaseExpression | None] = field(default_factory=list)
    calls: list[cst.Call] = field(default_factory=list)


@dataclass
class Survey:
    client_names: set[str] = field(default_factory=set)
    self_clients: set[tuple[str, str]] = field(default_factory=set)  # (class, attribute)
    # assigned a test client in some places and something else in others
    mixed: set[tuple[str, str]] = field(default_factory=set)
    responses: set[tuple[str, str]] = field(default_factory=set)     # (function, name)
    returning: set[str] = field(default_factory=set)  # module-level functions
    todos: dict[int, str] = field(default_factory=dict)  # id(FunctionDef) → why
    apps: _FlaskApps = field(default_factory=lambda: _FlaskApps())

    def built_here(self, app: cst.BaseExpression) -> bool:
        """Whether ``app`` (the receiver of ``test_client()``) is a Flask app the file
        builds itself: ASY701 keeps such a client Flask's, so its responses stay Flask's."""
        return self.apps.built_here(app)

    def converts(self, node: cst.BaseExpression | None) -> bool:
        """Whether ``node`` is a ``test_client()`` call ASY701 converts."""
        return _is_test_client(node, self.apps)


class _FlaskApps(cst.CSTVisitor):
    """The Flask apps a test file builds itself: names assigned ``Flask(...)``, with
    ``Flask`` imported under any name (``from flask import Flask as F``, ``import flask``)."""

    def __init__(self) -> None:
        self.classes: set[str] = set()  # names of flask.Flask
        self.modules: set[str] = set()  # names of the flask module
        self.names: set[str] = set()    # names assigned a Flask(...) call

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            if dotted(alias.name) == "flask":
                self.modules.add(bound_name(alias))

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if node.relative or node.module is None or dotted(node.module) != "flask":
            return
        if isinstance(node.names, cst.ImportStar):
            self.classes.add("Flask")
            return
        for alias in node.names:
            if dotted(alias.name) == "Flask":
                self.classes.add(bound_name(alias))

    def visit_Assign(self, node: cst.Assign) -> None:
        if self.builds(node.value):
            self.names.update(t.target.value for t in node.targets
                              if isinstance(t.target, cst.Name))

    def builds(self, node: cst.BaseExpression) -> bool:
        if not isinstance(node, cst.Call):
            return False
        func = node.func
        if isinstance(func, cst.Name):
            return func.value in self.classes
        return (isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name)
                and func.value.value in self.modules and func.attr.value == "Flask")

    def built_here(self, app: cst.BaseExpression) -> bool:
        return (isinstance(app, cst.Name) and app.value in self.names) or self.builds(app)


def _is_test_client(node: cst.BaseExpression | None, apps: _FlaskApps) -> bool:
    """``<app>.test_client()`` that ASY701 converts: no arguments, an app the file does
    not build itself."""
    return (isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute)
            and node.func.attr.value == "test_client" and not node.args
            and not apps.built_here(node.func.value))


class _Body(cst.CSTVisitor):
    """A function's own assignments, returns and calls (not those of nested functions or
    classes)."""

    def __init__(self, function: Function) -> None:
        self.f = function

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return node is self.f.node

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            if isinstance(target.target, cst.Name):
                self.f.assigned.setdefault(target.target.value, []).append(node.value)
            elif isinstance(target.target, cst.Tuple | cst.List):
                for element in target.target.elements:
                    if isinstance(element.value, cst.Name):  # unknown value
                        self.f.assigned.setdefault(element.value.value, []).append(
                            cst.Name("None"))

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if isinstance(node.target, cst.Name) and node.value is not None:
            self.f.assigned.setdefault(node.target.value, []).append(node.value)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        if isinstance(node.target, cst.Name):
            self.f.assigned.setdefault(node.target.value, []).append(cst.Name("None"))

    def visit_Return(self, node: cst.Return) -> None:
        self.f.returns.append(node.value)

    def visit_Call(self, node: cst.Call) -> None:
        self.f.calls.append(node)


def _functions(body: cst.BaseSuite | cst.Module, prefix: str, cls: str | None,
               in_def: bool) -> Iterator[Function]:
    statements = body.body if isinstance(body, cst.Module | cst.IndentedBlock) else ()
    for statement in statements:
        if isinstance(statement, cst.FunctionDef | cst.ClassDef):
            name = statement.name.value
            if not prefix:
                qualname = name
            else:
                qualname = f"{prefix}.<locals>.{name}" if in_def else f"{prefix}.{name}"
        if isinstance(statement, cst.FunctionDef):
            params = [p.name.value for p in statement.params.params]
            function = Function(qualname, statement, cls, not prefix, params)
            statement.visit(_Body(function))
            yield function
            yield from _functions(statement.body, qualname, None, True)
        elif isinstance(statement, cst.ClassDef):
            yield from _functions(statement.body, qualname, qualname, False)
        elif isinstance(statement, cst.If | cst.Try | cst.With):
            yield from _functions(statement.body, prefix, cls, in_def)


class _Names(cst.CSTVisitor):
    def __init__(self, apps: _FlaskApps) -> None:
        self.apps = apps
        self.clients: set[str] = set()
        self.called: dict[str, list[cst.Call]] = {}
        self.funcs: set[int] = set()  # id() of Names that are the callee of a call
        self.loads: dict[str, int] = {}  # every use of a Name
        self.methods_called: dict[str, list[cst.Call]] = {}  # self.<name>(...)
        self.method_loads: dict[str, int] = {}  # self.<name> not called

    def visit_Assign(self, node: cst.Assign) -> None:
        if _is_test_client(node.value, self.apps):
            self.clients.update(t.target.value for t in node.targets
                                if isinstance(t.target, cst.Name))

    def visit_WithItem(self, node: cst.WithItem) -> None:
        if (_is_test_client(node.item, self.apps) and node.asname is not None
                and isinstance(node.asname.name, cst.Name)):
            self.clients.add(node.asname.name.value)

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Name):
            self.called.setdefault(node.func.value, []).append(node)
            self.funcs.add(id(node.func))
        elif _on_self(node.func):
            assert isinstance(node.func, cst.Attribute)
            self.methods_called.setdefault(node.func.attr.value, []).append(node)
            self.funcs.add(id(node.func))

    def visit_Name(self, node: cst.Name) -> None:
        if id(node) not in self.funcs:
            self.loads[node.value] = self.loads.get(node.value, 0) + 1

    # Names that are not references: definitions, attributes, keywords.
    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        for part in (node.params, node.body, *node.decorators):
            part.visit(self)
        if node.returns is not None:
            node.returns.visit(self)
        return False

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        if _on_self(node) and id(node) not in self.funcs:
            self.method_loads[node.attr.value] = self.method_loads.get(node.attr.value, 0) + 1
        node.value.visit(self)
        return False

    def visit_Arg(self, node: cst.Arg) -> bool:
        node.value.visit(self)
        return False

    def visit_Param(self, node: cst.Param) -> bool:
        if node.default is not None:
            node.default.visit(self)
        return False


def survey(module: cst.Module) -> Survey:
    result = Survey()
    module.visit(result.apps)
    names = _Names(result.apps)
    module.visit(names)
    result.client_names = set(names.clients)
    functions = list(_functions(module, "", None, False))
    owners: dict[int, Function] = {}  # each call → the (outermost) function making it
    for f in functions:
        for call in f.calls:
            owners.setdefault(id(call), f)

    def _caller(call: cst.Call) -> Function:
        return owners.get(id(call), _NOWHERE)
    # Helpers whose parameters may receive responses: module-level functions (called by
    # name) and methods (called as self.<name>(...) from the same class).
    helpers: list[tuple[Function, list[str], list[cst.Call], bool]] = []
    for f in functions:
        name = f.node.name.value
        if f.module_level:
            helpers.append((f, f.params, names.called.get(name, []),
                            names.loads.get(name, 0) > 0))
        elif f.cls is not None and f.qualname == f"{f.cls}.{name}":
            static = any(isinstance(d.decorator, cst.Name) and d.decorator.value == "staticmethod"
                         for d in f.node.decorators)
            calls = names.methods_called.get(name, [])
            foreign = any(_caller(call).cls != f.cls for call in calls)
            helpers.append((f, f.params if static else f.params[1:], calls,
                            foreign or names.method_loads.get(name, 0) > 0))

    # self.<attr> = app.test_client() in a class's methods, and nothing else assigned there.
    attrs: dict[tuple[str, str], list[bool]] = {}
    for f in functions:
        if f.cls is None:
            continue
        for target, value in _attribute_assignments(f.node):
            attrs.setdefault((f.cls, target), []).append(_is_test_client(value, result.apps))
    result.self_clients = {key for key, kinds in attrs.items() if all(kinds)}
    result.mixed = {key for key, kinds in attrs.items() if any(kinds) and not all(kinds)}

    def is_client(f: Function, node: cst.BaseExpression) -> bool:
        if isinstance(node, cst.Name):
            return node.value in result.client_names or (
                node.value in FIXTURE_NAMES and node.value in f.params)
        return (isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name)
                and node.value.value in ("self", "cls") and f.cls is not None
                and (f.cls, node.attr.value) in result.self_clients)

    def is_response(f: Function, node: cst.BaseExpression | None) -> bool:
        if isinstance(node, cst.Name):
            return (f.qualname, node.value) in result.responses
        if not isinstance(node, cst.Call):
            return False
        func = node.func
        if isinstance(func, cst.Attribute):
            return func.attr.value in VERBS and is_client(f, func.value)
        return isinstance(func, cst.Name) and func.value in result.returning

    changed = True
    while changed:
        changed = False
        for f in functions:
            for name, values in f.assigned.items():
                if ((f.qualname, name) not in result.responses and name not in f.params
                        and all(is_response(f, v) for v in values)):
                    result.responses.add((f.qualname, name))
                    changed = True
            if (f.module_level and f.qualname not in result.returning and f.returns
                    and all(is_response(f, v) for v in f.returns)):
                result.returning.add(f.qualname)
                changed = True
        for f, params, calls, escapes in helpers:
            for index, param in enumerate(params):
                if (f.qualname, param) in result.responses or param in f.assigned:
                    continue
                passed = [_argument(call, index, param) for call in calls]
                if passed and not escapes and all(
                        a is not None and is_response(_caller(call), a)
                        for a, call in zip(passed, calls, strict=True)):
                    result.responses.add((f.qualname, param))
                    changed = True

    # A helper reading a parameter as a Flask response that gets one at some calls only.
    for f, params, calls, _ in helpers:
        name = f.node.name.value
        for index, param in enumerate(params):
            if (f.qualname, param) in result.responses or not _reads_as_response(f.node, param):
                continue
            passed = [_argument(call, index, param) for call in calls]
            some = any(a is not None and is_response(_caller(call), a)
                       for a, call in zip(passed, calls, strict=True))
            if some:
                result.todos[id(f.node)] = (
                    f"{name}() reads its parameter {param} as a Flask test response, but not "
                    "every use of it passes a client response (or it is also used without "
                    "being called): its .data/get_json()/... are not rewritten; make the "
                    "calls pass responses only, or convert the reads by hand")
    return result


def _on_self(node: cst.BaseExpression) -> bool:
    return (isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name)
            and node.value.value in ("self", "cls"))


def _attribute_assignments(
        node: cst.FunctionDef) -> Iterator[tuple[str, cst.BaseExpression]]:
    class Finder(cst.CSTVisitor):
        def __init__(self) -> None:
            self.found: list[tuple[str, cst.BaseExpression]] = []

        def visit_Assign(self, assign: cst.Assign) -> None:
            for target in assign.targets:
                t = target.target
                if (isinstance(t, cst.Attribute) and isinstance(t.value, cst.Name)
                        and t.value.value in ("self", "cls")):
                    self.found.append((t.attr.value, assign.value))

    finder = Finder()
    node.body.visit(finder)
    yield from finder.found


def _argument(call: cst.Call, index: int, param: str) -> cst.BaseExpression | None:
    """What ``call`` passes for parameter ``param`` (at ``index``); None when unknown."""
    position = 0
    for arg in call.args:
        if arg.star:
            return None
        if arg.keyword is None:
            if position == index:
                return arg.value
            position += 1
        elif arg.keyword.value == param:
            return arg.value
    return None


# The caller of a call made outside any function (module level).
_NOWHERE = Function("", cst.FunctionDef(cst.Name("_"), cst.Parameters(), cst.IndentedBlock([])),
                    None, True, [])


def _reads_as_response(node: cst.FunctionDef, param: str) -> bool:
    class Reads(cst.CSTVisitor):
        found = False

        def visit_Attribute(self, attribute: cst.Attribute) -> None:
            if (isinstance(attribute.value, cst.Name) and attribute.value.value == param
                    and attribute.attr.value in FLASK_READS):
                self.found = True

    reads = Reads()
    node.body.visit(reads)
    return reads.found
