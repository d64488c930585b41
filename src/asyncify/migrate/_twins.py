"""Async twins: the converted copy of each module an endpoint reaches, in a package beside
the legacy one (``bookshop`` → ``bookshop_async``), holding only what the endpoints need.

A twin module is the legacy module run through every rule with the project's propagation
decisions, then trimmed: it keeps the functions in scope (the endpoint handlers and the
helpers that became async), the classes that own them and the module-level statements, and
imports everything else from the legacy module, so pure helpers are never copied and
``twin.name`` works for every legacy ``name``. Imports of project modules point to the twin
module when there is one, else to the legacy module (absolute, since the package differs).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any

import libcst as cst

from ..codemods import FileContext, transform
from ..codemods._engine import add_imports
from ..codemods._rule import UsedNames, bound_name, dotted
from ._getters import legacy_getter_calls
from ._owners import _Names, is_router, taken_router
from ._tidy import tidy

_MARKER = re.compile(r"# TODO\[asyncify (ASY\d+)\]: (.*?)(?: — \S+)?$")


@dataclass(frozen=True)
class TwinModule:
    legacy: str  # module name
    twin: str
    relpath: str  # of the twin file, relative to the root
    keep: frozenset[str]  # qualnames of the functions kept (converted) in it
    handlers: frozenset[str] = frozenset()  # the endpoint handlers among them
    # Classes of this module whose twin adopts the legacy object (``compat.adopt``): the twin
    # derives from the legacy class and holds only the converted methods.
    adopted: frozenset[str] = frozenset()
    # Getters of this module returning an adopted object: (getter name, class name, twin
    # module of the class).
    getters: tuple[tuple[str, str, str], ...] = ()
    # Every adopting getter of the project (qualified names): a call of one imported from a
    # twin may have to get the legacy object instead (``_getters``).
    adopting: frozenset[str] = frozenset()
    # Names of apps this module imports and declares handlers' routes on (``from pkg import
    # app`` then ``@app.route``): the entry points route those handlers (``app_routes``), so
    # their twins lose these decorators (re-registering on the legacy app would fail).
    unrouted: frozenset[str] = frozenset()
    # The top-level package the twin package mirrors (``twin_name``); "" for the module's own.
    top: str = ""


def twin_name(module: str, package: str, top: str | None = None) -> str:
    """The twin module of the legacy ``module``: the same path under ``package`` for a
    module of the top-level package ``top`` (``shop.views`` → ``shop_async.views``; any
    module when ``top`` is not given); a module of another top-level package nests under
    ``package`` with its full name (``lib.http`` → ``shop_async.lib.http``)."""
    head, dot, rest = module.partition(".")
    if top is None or head == top:
        return f"{package}{dot}{rest}"
    return f"{package}.{module}"


def build_twin(
    module: TwinModule,
    source: bytes,
    rules: Sequence[str],
    context: FileContext,
    twins: Mapping[str, str],
    legacy_names: Iterable[str],
    is_package: bool,
    locate: Callable[[str], str] = lambda name: name,
    converted: Mapping[str, frozenset[str]] | None = None,
    after: Callable[[bytes], bytes] | None = None,
    routers: MutableMapping[str, cst.SimpleStatementLine | None] | None = None,
    legacy_params: Mapping[str, list[str]] | None = None,
) -> tuple[bytes, list[str], dict[str, str]]:
    """The twin's source, the TODO lines the rules left (``line: RULE: why``), and the
    handlers that stay on the legacy app (name → why).

    ``routers``: the local names of blueprints defined in another module, whose definitions
    ``source`` ends with (``_owners.with_blueprints``); their converted statements are taken
    out of the twin into it (the twin imports them from the defining module's twin).
    ``legacy_params``: the parameters of the legacy module's functions, by name (the
    index's summaries have them)."""
    outcome = transform(module.relpath, source, rules, context)
    if outcome.status == "failed":
        raise ValueError(outcome.reason)
    code = outcome.new if outcome.new is not None else source
    if after is not None:  # e.g. db.session → the request's AsyncSession (_sqla.py)
        code = after(code)
    tree = cst.parse_module(code)
    trim = _Trim(module, twins, is_package, locate, converted or {}, routers, legacy_params)
    trimmed = tree.visit(trim)
    for name, statement in (routers or {}).items():
        if statement is None or not is_router(statement):
            raise ValueError(f"blueprint {name!r} stays Flask in the twin (its views module "
                             "uses it as Flask's): no router to include")
    if trim.needs_adapter and "legacy_decorator" not in _defined(trimmed):
        trimmed = add_imports(trimmed, [("asyncify.compat", "legacy_decorator")])
    getters = {**trim.getters, **{name: module.legacy for name, _, _ in module.getters}}
    trimmed, legacy_modules = legacy_getter_calls(trimmed, getters)
    if legacy_modules:
        trimmed = add_imports(trimmed, [(m, None) for m in sorted(legacy_modules)])
    if module.adopted or module.getters:
        trimmed = add_imports(trimmed, [
            (module.legacy, None),
            *(("asyncify.compat", "adopt") for _ in module.getters[:1]),
            *((home, cls) for _, cls, home in module.getters if home != module.twin),
        ])
    defined = _defined(trimmed)
    missing = sorted(n for n in set(legacy_names) - defined - _bound_only_when_run(tree)
                     if not n.startswith("__"))
    packages = {module.legacy.partition(".")[0], module.twin.partition(".")[0]}
    trimmed = tidy(trimmed, packages, (module.legacy, missing))
    note = [cst.EmptyLine(comment=cst.Comment(text)) for text in (
        f"# Async twin of {module.legacy}, written by `asyncify apply` (re-run it; do not "
        "edit).", "# What is not here comes from the legacy module.")]
    if not any(line.comment and line.comment.value == note[0].comment.value  # type: ignore[union-attr]
               for line in trimmed.header):
        trimmed = trimmed.with_changes(header=[*note, *trimmed.header])
    # Report the markers left in the twin itself (trimmed-away code is not the twin's).
    todos = [
        f"{number}: {match.group(1)}: {match.group(2)}"
        for number, line in enumerate(trimmed.code.splitlines(), 1)
        if (match := _MARKER.search(line))
    ]
    todos += [f" {name} stays on the legacy app ({why})" for name, why in trim.left.items()]
    return trimmed.bytes, todos, dict(trim.left)


class _Trim(cst.CSTTransformer):
    """Drops the top-level functions and classes out of scope and re-points project imports."""

    def __init__(
        self, module: TwinModule, twins: Mapping[str, str], is_package: bool,
        locate: Callable[[str], str], converted: Mapping[str, frozenset[str]],
        routers: MutableMapping[str, cst.SimpleStatementLine | None] | None = None,
        legacy_params: Mapping[str, list[str]] | None = None,
    ) -> None:
        super().__init__()
        self.module = module
        self.routers = routers if routers is not None else {}
        self.legacy_params = legacy_params or {}
        self.twins = twins
        self.is_package = is_package
        self.locate = locate
        self.converted = converted
        self.dropped: set[str] = set()
        # Handlers whose endpoint layer could not be converted: they stay on the legacy app.
        self.left: dict[str, str] = {}
        self.needs_adapter = False
        self.getters: dict[str, str] = {}  # adopting getters imported: local name → legacy module

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False

    def leave_Module(self, original: cst.Module, updated: cst.Module) -> cst.Module:
        staying, setup = _staying_app(updated.body)
        unrouted = self.module.unrouted | staying
        skipped = {id(s) for s in setup}
        body = []
        for statement in updated.body:
            if id(statement) in skipped:  # the legacy module's app and its set-up: imported
                continue
            taken = taken_router(statement, set(self.routers))
            if taken is not None:  # a blueprint defined elsewhere: its twin has the router
                assert isinstance(statement, cst.SimpleStatementLine)
                self.routers[taken] = statement
                continue
            if isinstance(statement, cst.FunctionDef):
                name = statement.name.value
                if name not in self.module.keep:
                    self.dropped.add(name)
                    continue
                getter = next((g for g in self.module.getters if g[0] == name), None)
                if getter is not None:
                    statement = self._adopting_getter(statement, getter[1])
                if name in self.module.handlers:
                    why = _endpoint_todo(statement)
                    if why is not None:
                        self.left[name] = why
                        self.dropped.add(name)
                        continue
                    routed = [d for d in statement.decorators
                              if _owner_name(d.decorator) not in unrouted]
                    if len(routed) < len(statement.decorators):
                        # Routed by the entry points through compat.flask_view, which calls
                        # the function with its other decorators as Flask would.
                        statement = statement.with_changes(decorators=routed)
                    else:
                        statement = self._adapt_decorators(statement)
            elif isinstance(statement, cst.ClassDef):
                prefix = statement.name.value + "."
                if not any(k.startswith(prefix) for k in self.module.keep):
                    self.dropped.add(statement.name.value)
                    continue
                if statement.name.value in self.module.adopted:
                    statement = self._adopted_class(statement)
            body.append(statement)
        body = [s for s in body if not self._registers_dropped(s)]
        return updated.with_changes(body=body)

    def _adopted_class(self, cls: cst.ClassDef) -> cst.ClassDef:
        """``class C(legacy.C)`` holding only the converted methods: the legacy app creates the
        object, ``compat.adopt`` hands twin code this view of it."""
        name = cls.name.value
        methods = [s for s in cls.body.body if isinstance(s, cst.FunctionDef)
                   and f"{name}.{s.name.value}" in self.module.keep]
        doc = cst.SimpleStatementLine([cst.Expr(cst.SimpleString(
            f'"""Async twin of {self.module.legacy}.{name}.\n\n'
            "    The legacy app creates the object; twin code gets this view of it from "
            "`adopt`:\n    the same state, with its HTTP session as an httpx client (same "
            'headers, params,\n    retries and hooks).\n    """'))])
        base = cst.Arg(cst.parse_expression(f"{self.module.legacy}.{name}"))
        return cls.with_changes(bases=[base], keywords=[], lpar=cst.LeftParen(),
                                rpar=cst.RightParen(),
                                body=cls.body.with_changes(body=[doc, *methods]))

    def _adopting_getter(self, function: cst.FunctionDef, cls: str) -> cst.FunctionDef:
        """The getter's twin: the legacy getter's object, adopted by the twin class."""
        name = function.name.value
        doc = cst.SimpleStatementLine([cst.Expr(cst.SimpleString(
            f'"""What the legacy {self.module.legacy}.{name}() returns, seen through its '
            'async twin."""'))])
        call = cst.parse_expression(f"adopt({self.module.legacy}.{name}(), {cls})")
        body = cst.IndentedBlock([doc, cst.SimpleStatementLine([cst.Return(call)])])
        return function.with_changes(decorators=[], body=body)

    def _adapt_decorators(self, function: cst.FunctionDef) -> cst.FunctionDef:
        """Legacy view decorators under the route decorator go through
        ``asyncify.compat.legacy_decorator``, so what they return becomes a response."""
        decorators = list(function.decorators)
        changed = False
        injected = _injected(function, self.legacy_params.get(function.name.value))
        for index, decorator in enumerate(decorators[1:], 1):
            target = decorator.decorator
            if isinstance(target, cst.Name | cst.Attribute):
                args = [cst.Arg(target)]
                if index == 1 and injected:  # the outermost: the signature FastAPI reads
                    args.append(cst.Arg(
                        cst.Tuple([cst.Element(cst.SimpleString(repr(n))) for n in injected]),
                        keyword=cst.Name("injects"),
                        equal=cst.AssignEqual(cst.SimpleWhitespace(""),
                                              cst.SimpleWhitespace(""))))
                decorators[index] = decorator.with_changes(decorator=cst.Call(
                    cst.Name("legacy_decorator"), args))
                changed = True
        if changed:
            self.needs_adapter = True
        return function.with_changes(decorators=decorators)

    def _registers_dropped(self, statement: cst.BaseStatement) -> bool:
        """A registration the twin cannot keep: ``bp.add_api_route("/x", view)`` for a view
        that is not migrated, or a Flask ``add_url_rule`` the rewrite left (a class view)."""
        if not isinstance(statement, cst.SimpleStatementLine):
            return False
        for small in statement.body:
            if not (isinstance(small, cst.Expr) and isinstance(small.value, cst.Call)):
                continue
            call = small.value
            if isinstance(call.func, cst.Attribute) and call.func.attr.value in (
                    "include_router", "register_blueprint"):
                # A nested blueprint: the entry points include every router with its
                # effective prefix (and the child may be a legacy Flask blueprint).
                return True
            if isinstance(call.func, cst.Attribute) and call.func.attr.value == "add_url_rule":
                view = _Names()
                for arg in call.args:
                    arg.value.visit(view)
                for name in sorted(view.found & self.module.keep):
                    self.left[name] = ("a class-based view the rewrite could not route: see its "
                                       "ASY102 TODO")
                return True
            names = _Names()
            for arg in call.args:
                arg.value.visit(names)
            if names.found & self.dropped:
                return True
        return False

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.Call:
        # The combined app gives each router its effective prefix: drop the twin's own.
        if dotted(updated.func) in ("APIRouter", "fastapi.APIRouter"):
            args = [a for a in updated.args if not (a.keyword and a.keyword.value == "prefix")]
            if args:
                args[-1] = args[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
            return updated.with_changes(args=args)
        return updated

    def leave_SimpleStatementLine(
        self, original: cst.SimpleStatementLine, updated: cst.SimpleStatementLine
    ) -> cst.BaseStatement | cst.FlattenSentinel[cst.BaseStatement]:
        if len(updated.body) == 1 and isinstance(updated.body[0], cst.Import):
            return updated.with_changes(body=[self._module_import(updated.body[0])])
        if len(updated.body) != 1 or not isinstance(updated.body[0], cst.ImportFrom):
            return updated
        node = updated.body[0]
        base = self._absolute(node)
        if base is None or isinstance(node.names, cst.ImportStar):
            return updated
        # Each name goes where its definition lives (re-exports followed): the twin module
        # when the twin has it, else the legacy module.
        groups: dict[str, list[cst.ImportAlias]] = {}
        for alias in node.names:
            name = dotted(alias.name) or ""
            full = f"{base}.{name}"
            if full in self.twins:  # a module with a twin
                target = (self.twins.get(base) or twin_name(base, self._package(),
                                                             self.module.top or None)
                          if base else self._package())
            else:
                home = self.locate(full)
                module, _, leaf = home.rpartition(".")
                if module in self.twins and leaf in self.converted.get(module, ()):
                    target = self.twins[module]
                    if home in self.module.adopting:
                        bound = alias.asname.name if alias.asname else alias.name
                        if isinstance(bound, cst.Name):
                            self.getters[bound.value] = module
                    if leaf != name:
                        alias = alias.with_changes(name=cst.Name(leaf), asname=alias.asname
                                                   or cst.AsName(cst.Name(name)))
                else:
                    target = self.twins.get(base, base) if base in self.twins else base
            groups.setdefault(target, []).append(alias)
        lines = []
        for target, aliases in groups.items():
            aliases = [a.with_changes(comma=cst.MaybeSentinel.DEFAULT) for a in aliases]
            lines.append(updated.with_changes(body=[node.with_changes(
                module=cst.parse_expression(target), relative=[], names=aliases,
                lpar=None, rpar=None)]))
        if len(lines) == 1:
            return lines[0]
        return cst.FlattenSentinel(lines)

    def _package(self) -> str:
        return self.module.twin.partition(".")[0]

    def _module_import(self, node: cst.Import) -> cst.Import:
        """``import helpers as h`` / ``import helpers``: the twin module when the module has
        one (``h.fetch`` is the converted function; the twin re-exports the rest). A dotted
        import without ``as`` (``import pkg.helpers``) binds the package: left as it is."""
        aliases = []
        for alias in node.names:
            name = dotted(alias.name) or ""
            twin = self.twins.get(name)
            if twin is not None and (alias.asname is not None or "." not in name):
                bound = alias.asname or cst.AsName(cst.Name(name))
                alias = alias.with_changes(name=cst.parse_expression(twin), asname=bound)
            aliases.append(alias)
        return node.with_changes(names=aliases)

    def _absolute(self, node: cst.ImportFrom) -> str | None:
        name = dotted(node.module) if node.module is not None else ""
        if not node.relative:
            top = (name or "").partition(".")[0]
            tops = {self.module.legacy.partition(".")[0]} | {
                m.partition(".")[0] for m in self.twins}
            return name if top in tops else None
        parts = self.module.legacy.split(".")
        keep = len(parts) - len(node.relative) + (1 if self.is_package else 0)
        base = ".".join(parts[: max(keep, 0)])
        return f"{base}.{name}" if base and name else base or name


# Endpoint-layer TODOs that leave a twin unable to answer: what it returns is not something
# FastAPI can send. (Reading request, g, session or current_app works in a twin: it runs
# inside the legacy request context.)
_FATAL = ("streaming", "stream_with_context", "send_file", "send_from_directory",
          "Response(")


def _injected(function: cst.FunctionDef, legacy: list[str] | None = None) -> list[str]:
    """The view's own parameters that its route does not fill: Flask passes a view only its
    URL variables, so a decorator between the route and the view supplies the others. The
    route is the first decorator (``@bp.api_route("/x/{id}", ...)``). The view's own
    parameters are ``legacy``'s (the legacy function's); without them, the unannotated ones
    (the parameters the rewrite added, typed ``Query``/``Form`` ones and ``request:
    Request``, are annotated)."""
    if not function.decorators:
        return []
    route = function.decorators[0].decorator
    if not (isinstance(route, cst.Call) and route.args
            and isinstance(route.args[0].value, cst.SimpleString)):
        return []
    path = route.args[0].value.evaluated_value
    if not isinstance(path, str):
        return []
    from starlette.routing import compile_path

    variables = set(compile_path(path)[2])  # the path parameters, as the route will read them
    return [p.name.value for p in function.params.params
            if (p.name.value in legacy if legacy is not None else p.annotation is None)
            and p.name.value not in variables]


def _bound_only_when_run(module: cst.Module) -> set[str]:
    """The names the module binds only under ``if __name__ == "__main__":`` (``PORT = 5000;
    app.run(port=PORT)``): not there when the module is imported, so the twin must not
    import them from it."""
    inside: set[str] = set()
    outside: set[str] = set()
    for statement in module.body:
        run = (isinstance(statement, cst.If) and isinstance(statement.test, cst.Comparison)
               and isinstance(statement.test.left, cst.Name)
               and statement.test.left.value == "__name__"
               and len(statement.test.comparisons) == 1
               and isinstance(statement.test.comparisons[0].comparator, cst.SimpleString)
               and statement.test.comparisons[0].comparator.evaluated_value == "__main__")
        (inside if run else outside).update(_bound_at_top(statement))
    return inside - outside


_STAYS_FLASK = re.compile(r"TODO\[asyncify ASY101\]: app '(\w+)' stays Flask")


def _staying_app(body: Sequence[cst.BaseStatement]) -> tuple[frozenset[str], list[Any]]:
    """A module-level Flask app ASY101 left Flask (``app = Flask(__name__)`` beside its
    views): its name, and the top-level statements that make it and set it up — every
    statement other than an import, a function or a class that names it, or names what
    such a statement binds (``db = SQLAlchemy(app)``, ``app.config[...] = ...``). The twin
    must not run them again (a second app, a second extension instance): it imports those
    names from the legacy module, and its views lose the app's decorators (the entry points
    route them)."""
    staying: set[str] = set()
    for statement in body:
        for line in getattr(statement, "leading_lines", ()):
            found = line.comment and _STAYS_FLASK.search(line.comment.value)
            if found:
                staying.add(found.group(1))
    if not staying:
        return frozenset(), []
    names = set(staying)
    setup = []
    for statement in body:
        if isinstance(statement, cst.FunctionDef | cst.ClassDef) or (
                isinstance(statement, cst.SimpleStatementLine)
                and all(isinstance(s, cst.Import | cst.ImportFrom) for s in statement.body)):
            continue
        used = UsedNames()
        statement.visit(used)
        if used.names & names:
            setup.append(statement)
            names |= _bound_at_top(statement)
    return frozenset(staying), setup


def _bound_at_top(statement: cst.BaseStatement) -> set[str]:
    """The names a top-level statement binds (assignments, imports, with/except-as,
    functions and classes), inside its blocks too."""
    bound: set[str] = set()

    class _Targets(cst.CSTVisitor):
        def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
            if not isinstance(node.target, cst.Attribute | cst.Subscript):
                names = UsedNames()
                node.target.visit(names)
                bound.update(names.names)

        def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
            if isinstance(node.target, cst.Name):
                bound.add(node.target.value)

        def visit_AsName(self, node: cst.AsName) -> None:  # with/except … as name
            if isinstance(node.name, cst.Name):
                bound.add(node.name.value)

        def visit_ImportAlias(self, node: cst.ImportAlias) -> bool:
            bound.add(bound_name(node))
            return False

        def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
            bound.add(node.name.value)
            return False

        def visit_ClassDef(self, node: cst.ClassDef) -> bool:
            bound.add(node.name.value)
            return False

    statement.visit(_Targets())
    return bound


def _owner_name(decorator: cst.BaseExpression) -> str | None:
    """``app`` for ``@app.route(...)``/``@app.get(...)``: the object a decorator's method
    belongs to, when it is a plain name."""
    target = decorator.func if isinstance(decorator, cst.Call) else decorator
    if isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name):
        return target.value.value
    return None


def _endpoint_todo(function: cst.FunctionDef) -> str | None:
    """The first Flask → FastAPI (ASY1xx) TODO in a handler that keeps its twin from
    answering, if any."""
    for line in cst.Module([]).code_for_node(function).splitlines():
        match = _MARKER.search(line)
        if match and match.group(1).startswith("ASY1") and any(
            word in match.group(2) for word in _FATAL
        ):
            return f"{match.group(1)}: {match.group(2)}"
    return None


def _defined(module: cst.Module) -> set[str]:
    names: set[str] = set()
    for statement in module.body:
        if isinstance(statement, cst.FunctionDef | cst.ClassDef):
            names.add(statement.name.value)
        elif isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                if isinstance(small, cst.Assign):
                    for target in small.targets:
                        if isinstance(target.target, cst.Name):
                            names.add(target.target.value)
                elif isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name):
                    names.add(small.target.value)
                elif isinstance(small, cst.Import | cst.ImportFrom) and not isinstance(
                    small.names, cst.ImportStar
                ):
                    for alias in small.names:
                        bound = alias.asname.name if alias.asname else alias.name
                        if isinstance(bound, cst.Name):
                            names.add(bound.value)
                        elif isinstance(bound, cst.Attribute):
                            names.add((dotted(bound) or "").partition(".")[0])
    return names

