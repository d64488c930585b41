"""An ``Api`` handed to a helper: ``RouterV1().draw(api, prefix="/v1")`` whose body calls
``api.add_namespace(ns, path=prefix + "/auth")``.

The summary keeps such a ``path`` as unknown, so the helper's source is parsed again here (only
for these few calls; the tree and the expressions found in it are cached) and the path is
evaluated once per call site, with the helper's parameters bound to that site's literal
arguments or to their defaults. Only string literals, parameters and ``+`` / f-strings over
them are evaluated; anything else leaves the namespace's own path.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ._owner_aliases import explicit_params
from ._summary import Ref, last_name

if TYPE_CHECKING:
    from ._resolve import Scope
    from ._restapi import RestApis, _Api


@dataclass(slots=True)
class HelperCalls:
    """``add_namespace`` calls made on a parameter, waiting for their helper's call sites."""

    rest: RestApis
    pending: dict[str, list[tuple[Scope, Ref, str]]] = field(default_factory=dict)
    # Parsed once per module, searched once per helper and per call: a helper drawn at many
    # call sites only re-evaluates the cached expressions.
    _trees: dict[str, ast.Module] = field(default_factory=dict)
    _helper_defaults: dict[str, dict[str, str]] = field(default_factory=dict)
    _path_exprs: dict[tuple[str, int, int], ast.expr | None] = field(default_factory=dict)

    def defer(self, scope: Scope, ref: Ref, param: str) -> None:
        self.pending.setdefault(scope.qname, []).append((scope, ref, param))

    def resolve(self) -> None:
        if not self.pending:
            return
        resolver = self.rest.resolver
        short = {qname.rpartition(".")[2] for qname in self.pending}
        for caller in self.rest.finder.scopes():
            for call in caller.fn.calls:
                if last_name(call.ref[1]) not in short:
                    continue
                target = resolver.resolve(call.ref[1], caller)
                if target is not None and target.qname in self.pending:
                    self._site(caller, call.ref, target.qname)

    def _site(self, caller: Scope, ref: Ref, helper: str) -> None:
        scope = self.pending[helper][0][0]
        params = explicit_params(scope.fn, scope.cls is not None)
        passed = dict(zip(params, ref[2], strict=False)) | dict(ref[3])
        env = self._defaults(scope) | {
            name: value[1] for name, value in passed.items()
            if value[0] == "k" and isinstance(value[1], str)
        }
        for helper_scope, call, param in self.pending[helper]:
            api = self._api(passed.get(param), caller)
            args, kwargs = call[2], dict(call[3])
            target = args[0] if args else kwargs.get("ns")
            ns = self.rest._namespace(target, helper_scope) if target is not None else None
            if api is None or ns is None:
                continue
            path = self._path(helper_scope, call, env)
            api.namespaces.append((ns.origin, path))

    def _api(self, ref: Ref | None, caller: Scope) -> _Api | None:
        """The Api a call site passes: a variable, or ``Api(blueprint)`` built right there."""
        if ref is None:
            return None
        if ref[0] == "c":
            origin = f"{caller.qname}.<arg {ref[4]}:{ref[5]}>"
            if origin not in self.rest.apis:
                self.rest.binding(origin, ref, caller, self.rest.resolver.resolve(ref[1], caller))
                self.rest.attach_pending()
            return self.rest.apis.get(origin)
        return self.rest._api(ref, caller)

    def _tree(self, scope: Scope) -> ast.Module | None:
        key = scope.module.name
        if key not in self._trees:
            try:
                self._trees[key] = ast.parse(scope.module.file.path.read_bytes())
            except (OSError, SyntaxError, ValueError):
                return None
        return self._trees[key]

    def _defaults(self, scope: Scope) -> dict[str, str]:
        if scope.qname not in self._helper_defaults:
            self._helper_defaults[scope.qname] = self._find_defaults(scope)
        return self._helper_defaults[scope.qname]

    def _find_defaults(self, scope: Scope) -> dict[str, str]:
        tree = self._tree(scope)
        for node in ast.walk(tree) if tree is not None else ():
            if isinstance(node, ast.FunctionDef) and node.lineno == scope.fn.line:
                args = [*node.args.posonlyargs, *node.args.args]
                pairs = zip(args[len(args) - len(node.args.defaults):], node.args.defaults,
                            strict=True)
                return {a.arg: d.value for a, d in pairs
                        if isinstance(d, ast.Constant) and isinstance(d.value, str)}
        return {}

    def _path(self, scope: Scope, call: Ref, env: dict[str, str]) -> str | None:
        key = (scope.module.name, call[4], call[5])
        if key not in self._path_exprs:
            self._path_exprs[key] = self._find_path(scope, call)
        expr = self._path_exprs[key]
        return None if expr is None else _evaluate(expr, env)

    def _find_path(self, scope: Scope, call: Ref) -> ast.expr | None:
        """The ``path`` argument's expression in the ``add_namespace`` call at ``call``."""
        tree = self._tree(scope)
        for node in ast.walk(tree) if tree is not None else ():
            if (isinstance(node, ast.Call) and node.lineno == call[4]
                    and node.col_offset + 1 == call[5]):  # the summary counts from 1
                return next((k.value for k in node.keywords if k.arg == "path"),
                            node.args[1] if len(node.args) > 1 else None)
        return None


def _evaluate(node: ast.expr, env: dict[str, str]) -> str | None:
    if isinstance(node, ast.Constant):
        return node.value if isinstance(node.value, str) else None
    if isinstance(node, ast.Name):
        return env.get(node.id)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _evaluate(node.left, env), _evaluate(node.right, env)
        return None if left is None or right is None else left + right
    if isinstance(node, ast.FormattedValue):
        plain = node.conversion == -1 and node.format_spec is None
        return _evaluate(node.value, env) if plain else None
    if isinstance(node, ast.JoinedStr):
        parts = [_evaluate(value, env) for value in node.values]
        return None if any(p is None for p in parts) else "".join(p or "" for p in parts)
    return None
