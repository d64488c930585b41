"""Which functions of a project only legacy code calls: the Flask helpers in them stay.

ASY104 turns ``jsonify``/``make_response``… into their ``asyncify.compat`` twins because
FastAPI calls the code around them. A function in a module that defines no route, view or
Resource is called by someone else: when that is a view (``return error("no", 400)`` from a
converted route) it must return what FastAPI takes, but when nothing serving requests ever
reaches it (an exception class's ``handle`` that only the tests call inside the legacy app's
context and read as a Werkzeug response), converting it breaks its real callers.

Reaching is decided by name, on the whole project, and errs towards converting: every name
written in a module that serves requests (routes, views, Resources, apps, blueprints, error
handlers; Flask's or FastAPI's) is reached, and so is every name written in a reached
function or in code that runs at import. A function of a module without views whose own name
is never reached is left to the legacy app: its ``def`` qualname is returned, and the rules
keep its Flask helpers with a marker saying why. A call the index could not resolve (``cls.
handle(e)`` on a fixture) still counts, as the name is all it takes.

Which apps and blueprints stay Flask is decided here across files too, by name through the
imports (``from app.api import bp as bp_api``, re-exports followed). One stays when its own
file keeps it (``_legacy``, ``_restful``); when ``parent.register_blueprint(it)`` registers it
on one that stays (and so does the parent of one that stays: a FastAPI app cannot include a
Flask blueprint); when its module's app stays (the whole module does); and when another file
uses it as Flask's (``@bp.route`` on an imported ``bp``, which no rule converts there). Views
on an owner that stays (in any file) are legacy code: the names they write reach nothing, so a
function of theirs that only they use (``token_required``, a decorator of Flask views) stays
with them and keeps its Flask helpers.
"""

from __future__ import annotations

import ast
import os
import re
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import libcst as cst

from ..._project import discover
from ...errors import AsyncifyError
from ._common import module_owners
from ._legacy import _BARE, _DECORATORS, _STATEMENTS

# Calls and decorators (their last name) that make a module serve requests.
_SERVING_CALLS = frozenset(
    {
        "Flask",
        "Blueprint",
        "Api",
        "FastAPI",
        "APIRouter",
        "add_url_rule",
        "add_resource",
        "register_error_handler",
        "add_exception_handler",
        "register_blueprint",
        "include_router",
        "as_view",
    }
)
_SERVING_DECORATORS = frozenset(
    {
        "route",
        "get",
        "post",
        "put",
        "patch",
        "delete",
        "head",
        "options",
        "api_route",
        "websocket",
        "errorhandler",
        "app_errorhandler",
        "exception_handler",
        "middleware",
        "before_request",
        "after_request",
        "before_app_request",
        "after_app_request",
        "teardown_request",
        "teardown_app_request",
        "teardown_appcontext",
        "resource",
    }
)
_SERVING_BASES = frozenset({"Resource", "MethodView", "View", "HTTPEndpoint"})
_WORD = re.compile(rb"[A-Za-z_][A-Za-z0-9_]*")


@dataclass
class _Function:
    name: str  # its own name, what a caller writes
    names: set[str] = field(default_factory=set)  # the names its body writes
    dunder_of: str | None = None  # the class of a special method (called through the class)


@dataclass
class _Module:
    serving: bool
    flask: bool  # imports flask (only there is anything to keep)
    functions: dict[str, _Function]  # qualname → function
    names: set[str]  # every name it writes (serving) or that its import-time code writes


@dataclass(frozen=True)
class Side:
    """What the project decides for one file: see the module docstring."""

    functions: frozenset[str] = frozenset()  # qualnames only legacy code calls
    owners: Mapping[str, str] = field(default_factory=dict)  # owner kept for other files → why


_Key = tuple[str, str]  # (relpath of the defining file, module-level name)
# Methods that register something on an app or blueprint: called on an app imported from
# another file, they stay Flask there (``app.run()``, ``app.config`` do not count: elsewhere
# only an import-time registration breaks when the app is converted).
_REGISTERING = _SERVING_DECORATORS | {"add_url_rule", "register_error_handler",
                                      "register_blueprint", "endpoint", "context_processor",
                                      "before_first_request", "url_value_preprocessor",
                                      "url_defaults"}


def project_side(root: Path, sources: Mapping[str, bytes]) -> dict[str, Side]:
    """Per file of ``sources`` that has anything kept: its :class:`Side`."""
    trees: dict[str, ast.Module] = {}
    modules: dict[str, _Module] = {}
    unparsed: dict[str, bytes] = {}
    datas: dict[str, bytes] = {}
    for relpath, data in _project(root, sources):
        try:
            trees[relpath] = ast.parse(data)
            datas[relpath] = data
        except (SyntaxError, ValueError, RecursionError):
            unparsed[relpath] = data
    scans = {relpath: _Scan(tree) for relpath, tree in trees.items()}
    owners = _Owners(trees, datas, scans)
    for relpath, tree in trees.items():
        modules[relpath] = _module(tree, scans[relpath], owners.legacy_views(relpath))
    for relpath, data in unparsed.items():
        # Every word of a file that does not parse counts as written by a serving module.
        words = {w.decode("ascii") for w in _WORD.findall(data)}
        modules[relpath] = _Module(serving=True, flask=False, functions={}, names=words)
    reached: set[str] = set()
    for module in modules.values():
        reached |= module.names
    functions = [f for m in modules.values() if not m.serving for f in m.functions.values()]
    done: set[int] = set()
    grew = True
    while grew:
        grew = False
        for index, function in enumerate(functions):
            if index not in done and _reached(function, reached):
                done.add(index)
                grew = bool(function.names - reached) or grew
                reached |= function.names
    answer: dict[str, Side] = {}
    kept_here = owners.kept_here()
    for relpath in sources:
        module = modules[relpath]
        found: frozenset[str] = frozenset()
        if module.flask:
            found = frozenset(q for q, f in module.functions.items() if not _reached(f, reached))
        kept = kept_here.get(relpath, {})
        if found or kept:
            answer[relpath] = Side(found, kept)
    return answer


def _reached(function: _Function, reached: set[str]) -> bool:
    return function.name in reached or (
        function.dunder_of is not None and function.dunder_of in reached
    )


def _project(root: Path, sources: Mapping[str, bytes]) -> Iterator[tuple[str, bytes]]:
    yield from sources.items()
    try:
        files = discover(root).files
    except AsyncifyError:
        return
    for source in files:
        relpath = os.path.relpath(source.path, root)
        if relpath in sources:
            continue
        try:
            yield relpath, source.path.read_bytes()
        except OSError:
            continue


class _Scan:
    """What one walk of a module's tree finds: whether it serves requests and imports flask,
    every name it writes, and its import statements (in ``ast.walk`` order)."""

    def __init__(self, tree: ast.Module) -> None:
        self.serving = False
        self.flask = False
        self.names: set[str] = set()
        self.imports: list[ast.Import | ast.ImportFrom] = []
        names = self.names
        for node in ast.walk(tree):
            if isinstance(node, ast.Name):
                names.add(node.id)
            elif isinstance(node, ast.Attribute):
                names.add(node.attr)
            elif isinstance(node, ast.ImportFrom):
                self.imports.append(node)
                self.flask = self.flask or (node.module or "").split(".")[0] == "flask"
            elif isinstance(node, ast.Import):
                self.imports.append(node)
                self.flask = self.flask or any(a.name.split(".")[0] == "flask"
                                               for a in node.names)
            elif not self.serving and isinstance(
                    node, ast.Call | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                self.serving = _serves(node)


def _module(tree: ast.Module, scan: _Scan, legacy: set[str]) -> _Module:
    """``legacy``: the module's top-level functions that are views of an owner staying Flask
    (they reach nothing; when there are any, the module's plain top-level functions are
    reached only through names, as those of a module without views are)."""
    serving, flask = scan.serving, scan.flask
    functions: dict[str, _Function] = {}
    names: set[str] = set()
    if serving and legacy:
        for statement in tree.body:
            if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
                if statement.name in legacy:
                    continue
                if not statement.decorator_list and not any(
                        _serves(node) for node in ast.walk(statement)):
                    _collect([statement], "", None, functions, names)
                    continue
            names |= _names(statement)
    elif serving:
        names = scan.names
    else:
        _collect(tree.body, "", None, functions, names)
    return _Module(serving, flask, functions, names)


def _collect(
    body: list[ast.stmt],
    prefix: str,
    cls: str | None,
    functions: dict[str, _Function],
    names: set[str],
) -> None:
    """The functions of a module or class body (by qualname) and the names its code that runs
    at import writes (decorators, defaults, class attributes, module statements)."""
    for statement in body:
        if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
            name = statement.name
            dunder = cls if name.startswith("__") and name.endswith("__") else None
            functions[prefix + name] = _Function(name, _names(*statement.body), dunder)
            for run in (
                *statement.decorator_list,
                *statement.args.defaults,
                *(d for d in statement.args.kw_defaults if d is not None),
            ):
                names |= _names(run)
        elif isinstance(statement, ast.ClassDef):
            for run in (
                *statement.decorator_list,
                *statement.bases,
                *(k.value for k in statement.keywords),
            ):
                names |= _names(run)
            _collect(statement.body, f"{prefix}{statement.name}.", statement.name, functions, names)
        else:
            names |= _names(statement)


def _names(*nodes: ast.AST) -> set[str]:
    """Every name and attribute name written in ``nodes``."""
    found: set[str] = set()
    for node in nodes:
        for inner in ast.walk(node):
            if isinstance(inner, ast.Name):
                found.add(inner.id)
            elif isinstance(inner, ast.Attribute):
                found.add(inner.attr)
    return found


def _serves(node: ast.AST) -> bool:
    if isinstance(node, ast.Call):
        return _last(node.func) in _SERVING_CALLS
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return any(
            isinstance(d.func if isinstance(d, ast.Call) else d, ast.Attribute)
            and _last(d.func if isinstance(d, ast.Call) else d) in _SERVING_DECORATORS
            for d in node.decorator_list
        )
    if isinstance(node, ast.ClassDef):
        return any(_last(base) in _SERVING_BASES for base in node.bases)
    return False


def _last(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


class _Owners:
    """The project's module-level Flask apps and blueprints, which of them stay Flask and
    why, resolved by name through the imports (see the module docstring)."""

    def __init__(self, trees: Mapping[str, ast.Module], datas: Mapping[str, bytes],
                 scans: Mapping[str, _Scan]) -> None:
        self.trees, self.scans = trees, scans
        self.modules: dict[str, str] = {}  # dotted module name → relpath
        self.names: dict[str, str] = {}  # relpath → its full dotted name
        dotted_names = {relpath: _dotted_names(relpath) for relpath in trees}
        for relpath, names in dotted_names.items():
            self.names[relpath] = names[0] if names else ""
        for shorter in range(max((len(n.split(".")) for n in self.names.values()), default=0)):
            for relpath, names in dotted_names.items():  # full names, then shorter suffixes
                if shorter < len(names):
                    self.modules.setdefault(names[shorter], relpath)
        self.apps: set[_Key] = set()
        self.defined: set[_Key] = set()
        self.stay: dict[_Key, str] = {}  # owner → why ("" when its own file keeps it)
        for relpath, data in datas.items():
            if b"flask" not in data or not (b"Flask" in data or b"Blueprint" in data):
                continue
            apps, blueprints = _created_owners(trees[relpath])
            if not apps and not blueprints:
                continue  # ``module_owners`` finds none either
            staying: set[str] = set()
            if b"flask_rest" in data or not _converted_uses_only(trees[relpath],
                                                                 apps | blueprints):
                try:
                    apps, blueprints, staying = module_owners(cst.parse_module(data))
                except (cst.ParserSyntaxError, RecursionError):
                    continue
            self.apps |= {(relpath, a) for a in apps}
            self.defined |= {(relpath, o) for o in apps | blueprints}
            self.stay.update({(relpath, o): "" for o in staying})
        self.imports = {relpath: _imports(scans[relpath].imports, self.names.get(relpath, ""),
                                          relpath)
                        for relpath in trees}
        if self.defined:
            self._decide()

    def kept_here(self) -> dict[str, dict[str, str]]:
        """Per file: its owners the project keeps (and its own file does not) → why."""
        found: dict[str, dict[str, str]] = {}
        for (where, name), why in self.stay.items():
            if why:
                found.setdefault(where, {})[name] = why
        return found

    def legacy_views(self, relpath: str) -> set[str]:
        """Top-level functions of ``relpath`` decorated by an owner that stays Flask."""
        found: set[str] = set()
        if not self.stay:
            return found
        for statement in self.trees[relpath].body:
            if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
                for decorator in statement.decorator_list:
                    func = decorator.func if isinstance(decorator, ast.Call) else decorator
                    if (isinstance(func, ast.Attribute)
                            and self.resolve(relpath, func.value) in self.stay):
                        found.add(statement.name)
        return found

    def resolve(self, relpath: str, node: ast.expr) -> _Key | None:
        """The owner ``node`` names in ``relpath``, through its imports."""
        if isinstance(node, ast.Name):
            if (relpath, node.id) in self.defined:
                return relpath, node.id
            target = self.imports[relpath].get(node.id)
            return self._follow(target[0], target[1], 0) if target and target[1] else None
        if isinstance(node, ast.Attribute):
            module = self._module_of(relpath, node.value)
            return self._follow(module, node.attr, 0) if module else None
        return None

    def _module_of(self, relpath: str, node: ast.expr) -> str | None:
        if isinstance(node, ast.Name):
            target = self.imports[relpath].get(node.id)
            if target is None:
                return None
            module = target[0] if target[1] is None else f"{target[0]}.{target[1]}"
            return module if module in self.modules else None
        if isinstance(node, ast.Attribute):
            outer = self._module_of(relpath, node.value)
            inner = f"{outer}.{node.attr}" if outer else None
            return inner if inner in self.modules else None
        return None

    def _follow(self, module: str, name: str, depth: int) -> _Key | None:
        relpath = self.modules.get(module)
        if relpath is None or depth > 10:
            return None
        if (relpath, name) in self.defined:
            return relpath, name
        target = self.imports[relpath].get(name)  # a re-export
        return self._follow(target[0], target[1], depth + 1) if target and target[1] else None

    def _decide(self) -> None:
        uses: dict[_Key, list[str]] = {}
        edges: list[tuple[_Key, _Key, str]] = []
        here: dict[str, set[str]] = {}
        for relpath, name in self.defined:
            here.setdefault(relpath, set()).add(name)
        for relpath, tree in self.trees.items():
            if not self._resolvable(relpath, here.get(relpath, set())) & self.scans[
                    relpath].names:
                continue  # ``resolve`` answers None for every node of it
            parents: dict[int, ast.AST] = {}
            decorators: set[int] = set()
            for node in _walk(tree, parents):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                    decorators |= {id(d) for d in node.decorator_list}
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                        and node.func.attr == "register_blueprint":
                    arg = node.args[0] if node.args else next(
                        (k.value for k in node.keywords if k.arg == "blueprint"), None)
                    parent = self.resolve(relpath, node.func.value)
                    registered = self.resolve(relpath, arg) if arg is not None else None
                    if parent and registered and arg is not None:
                        code = f"{ast.unparse(node.func)}({ast.unparse(arg)}, …)"
                        edges.append((parent, registered, f"{code} in {relpath}"))
                if not isinstance(node, ast.Name | ast.Attribute) or not isinstance(
                        node.ctx, ast.Load):
                    continue
                key = self.resolve(relpath, node)
                if key is None or key[0] == relpath:
                    continue
                use = self._use(node, key, parents, decorators)
                if use is not None:
                    uses.setdefault(key, []).append(f"{use} in {relpath}")
        self._spread(edges)  # a registration on an owner that stays says more than a use
        for key, found in uses.items():
            if key not in self.stay:
                kind = "app" if key in self.apps else "blueprint"
                found = list(dict.fromkeys(found))
                shown = ", ".join(found[:_SHOWN]) + (", …" if len(found) > _SHOWN else "")
                self.stay[key] = (f"{shown} {'uses' if len(found) == 1 else 'use'} it as "
                                  f"Flask's {kind} (no rule converts an app or blueprint "
                                  "imported from another file)")
        self._spread(edges)

    def _resolvable(self, relpath: str, defined: set[str]) -> set[str]:
        """The names through which ``resolve`` can find an owner in ``relpath``: its own
        owners (``defined``), the imported ones and the imported modules of the project (the
        head of an attribute chain). A file writing none of them names no owner."""
        found = set(defined)
        for local, (module, name) in self.imports[relpath].items():
            if ((name is not None and self._follow(module, name, 0) is not None)
                    or (module if name is None else f"{module}.{name}") in self.modules):
                found.add(local)
        return found

    def _spread(self, edges: list[tuple[_Key, _Key, str]]) -> None:
        """Keep what is registered on an owner that stays, what registers one that stays,
        and the owners of a module whose app stays, until nothing changes."""
        grew = True
        while grew:
            grew = False
            for key in [k for k in self.stay if k in self.apps]:
                for other in self.defined:  # the app's module stays as it is
                    if other[0] == key[0] and other not in self.stay:
                        self.stay[other], grew = "", True
            for parent, child, code in edges:
                if parent in self.stay and child not in self.stay:
                    kind = "app" if parent in self.apps else "blueprint"
                    where = "" if code.endswith(f" in {parent[0]}") else f" ({parent[0]})"
                    self.stay[child] = (f"{code} registers it on {kind} {parent[1]!r}{where}, "
                                        "which stays Flask")
                    grew = True
                elif child in self.stay and parent not in self.stay:
                    where = "" if code.endswith(f" in {child[0]}") else f" ({child[0]})"
                    self.stay[parent] = (f"{code} registers blueprint {child[1]!r}{where}, "
                                         "which stays Flask")
                    grew = True

    def _use(self, node: ast.expr, key: _Key, parents: Mapping[int, ast.AST],
             decorators: set[int]) -> str | None:
        """This use of the owner ``key`` from another file as code, when it is one that
        needs a Flask object (``None``: a registration, or a harmless use of an app)."""
        parent = parents.get(id(node))
        shown = ast.unparse(node)
        call = parents.get(id(parent)) if isinstance(parent, ast.keyword) else parent
        if isinstance(call, ast.Call) and node is not call.func and isinstance(
                call.func, ast.Attribute) and call.func.attr == "register_blueprint":
            return None  # an edge
        if isinstance(parent, ast.Attribute) and parent.value is node:
            grand = parents.get(id(parent))
            called = isinstance(grand, ast.Call) and grand.func is parent
            decorator = id(parent) in decorators or (called and id(grand) in decorators)
            if key in self.apps and parent.attr not in _REGISTERING:
                return None
            return f"{'@' if decorator else ''}{shown}.{parent.attr}{'(…)' if called else ''}"
        if key in self.apps:
            return None
        if isinstance(parent, ast.Call) and node is not parent.func:
            return f"{ast.unparse(parent.func)}({shown})"
        return shown


_SHOWN = 3  # uses named in a marker


def _dotted_names(relpath: str) -> list[str]:
    """The module names a file may be imported as: its path from the root, then shorter
    (``src/app/api/__init__.py``: ``src.app.api``, ``app.api``, ``api``)."""
    parts = list(Path(relpath).with_suffix("").parts)
    if parts and parts[-1] == "__init__":
        parts.pop()
    return [".".join(parts[i:]) for i in range(len(parts))]


def _imports(nodes: list[ast.Import | ast.ImportFrom], module: str,
             relpath: str) -> dict[str, tuple[str, str | None]]:
    """Local name → (module, name) for ``from module import name``, (module, None) for
    ``import module``: every import of the file (``nodes``, in walk order), wherever it is."""
    package = module if Path(relpath).stem == "__init__" else module.rpartition(".")[0]
    found: dict[str, tuple[str, str | None]] = {}
    for node in nodes:
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".") if package else []
                parts = parts[:len(parts) - (node.level - 1)] if node.level > 1 else parts
                base = ".".join([*parts, *([base] if base else [])])
            for alias in node.names:
                if alias.name != "*":
                    found[alias.asname or alias.name] = (base, alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    found[alias.asname] = (alias.name, None)
                else:
                    head = alias.name.split(".")[0]
                    found[head] = (head, None)
    return found


def _created_owners(tree: ast.Module) -> tuple[set[str], set[str]]:
    """The module-level apps and blueprints ``module_owners`` finds (``_common._owners``: a
    ``name = <call>`` whose callee is Flask's ``Flask``/``Blueprint`` by the module-level
    imports of flask and werkzeug), read from the ast."""
    local: dict[str, str] = {}
    created: dict[str, ast.Call] = {}
    for statement in tree.body:
        if isinstance(statement, ast.ImportFrom):
            if statement.module and statement.module.split(".")[0] in ("flask", "werkzeug") \
                    and not any(a.name == "*" for a in statement.names):
                for alias in statement.names:
                    local[alias.asname or alias.name] = f"{statement.module}.{alias.name}"
        elif isinstance(statement, ast.Import):
            for alias in statement.names:
                head = alias.name.split(".")[0]
                if head in ("flask", "werkzeug"):
                    local[head] = head
        elif (isinstance(statement, ast.Assign) and len(statement.targets) == 1
              and isinstance(statement.targets[0], ast.Name)
              and isinstance(statement.value, ast.Call)):
            created[statement.targets[0].id] = statement.value
    apps: set[str] = set()
    blueprints: set[str] = set()
    for target, call in created.items():
        name = _dotted(call.func)
        if name is None:
            continue
        head, _, rest = name.partition(".")
        imported = local.get(head)
        kind = None if imported is None else f"{imported}.{rest}" if rest else imported
        if kind == "flask.Flask":
            apps.add(target)
        elif kind == "flask.Blueprint":
            blueprints.add(target)
    return apps, blueprints


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return None if base is None else f"{base}.{node.attr}"
    return None


def _converted_uses_only(tree: ast.Module, owners: set[str]) -> bool:
    """Whether every use of ``owners`` in ``tree`` is one ``_legacy.kept_owners`` passes
    over whatever shadows it (``@bp.route(…)``, ``app.register_blueprint(bp)``, the statement
    ``app.run()``, ``bp = …``): then the file keeps none of them by itself. Any other use,
    and an import naming one, answer ``False`` (the libcst pass decides)."""
    parents: dict[int, ast.AST] = {}
    decorators: set[int] = set()
    for node in _walk(tree, parents):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            decorators.update(id(d) for d in node.decorator_list)
        elif isinstance(node, ast.Import):
            if any(a.name.split(".")[0] in owners for a in node.names):
                return False
        elif isinstance(node, ast.ImportFrom):
            if (node.module or "").split(".")[0] in owners:
                return False
        elif isinstance(node, ast.Name) and node.id in owners \
                and not _converted_use(node, parents, decorators):
            return False
    return True


def _converted_use(node: ast.Name, parents: Mapping[int, ast.AST], decorators: set[int]) -> bool:
    parent = parents.get(id(node))
    if isinstance(parent, ast.Assign):
        return any(target is node for target in parent.targets)
    if isinstance(parent, ast.Attribute) and parent.value is node:
        grand = parents.get(id(parent))
        if isinstance(grand, ast.Call) and grand.func is parent:
            return (parent.attr == "register_blueprint"
                    or (id(grand) in decorators and parent.attr in _DECORATORS)
                    or (isinstance(parents.get(id(grand)), ast.Expr)
                        and parent.attr in _STATEMENTS))
        return id(parent) in decorators and parent.attr in _BARE
    call = parents.get(id(parent)) if isinstance(parent, ast.keyword) else parent
    if isinstance(parent, ast.keyword) or (
            isinstance(parent, ast.Call) and any(arg is node for arg in parent.args)):
        return (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
                and call.func.attr == "register_blueprint")
    return False


def _walk(tree: ast.AST, parents: dict[int, ast.AST]) -> Iterator[ast.AST]:
    """``ast.walk`` (the same order), filling ``parents`` (``id`` of a node → its parent)
    before a node's children are yielded."""
    todo = deque([tree])
    while todo:
        node = todo.popleft()
        for child in ast.iter_child_nodes(node):
            parents[id(child)] = node
            todo.append(child)
        yield node
