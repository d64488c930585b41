"""How the generated entry points build the legacy app when it comes from a factory.

They call the factory themselves (``legacy = create_app()``). A factory with required
parameters (``create_app(config_name)``) cannot be called that way, so the call is read from
``[tool.asyncify] factory`` (``"create_app('production')"``, the call the app's own tests or
WSGI entry make); without it, `apply` refuses with the parameter's name and that fix rather
than write entry points that fail at import.
"""

from __future__ import annotations

import ast
from pathlib import Path

from .._callgraph import CallGraph
from .._config import load_config
from .._endpoints import Endpoint
from ..errors import UsageError


def factory_call(root: Path, graph: CallGraph, endpoint: Endpoint) -> str | None:
    """The configured factory call, or ``None`` (the factory takes no required argument, or
    the app is a module-level object).

    :raises UsageError: the factory has required parameters and no call is configured, or the
        configured call names another function.
    """
    if "<locals>" not in endpoint.app:
        return None
    qualname = endpoint.app.partition(".<locals>")[0]
    name = qualname.rpartition(".")[2]
    configured = load_config(root).factory
    if configured is not None:
        called = ast.parse(configured, mode="eval").body
        assert isinstance(called, ast.Call) and isinstance(called.func, ast.Name)
        if called.func.id != name:
            raise UsageError(f"[tool.asyncify] factory = {configured!r} calls "
                             f"{called.func.id!r}, but the legacy app is built by {qualname} "
                             f"(write factory = \"{name}(...)\" in pyproject.toml)")
        return configured
    function = graph.functions.get(qualname)
    if function is None:
        return None
    where = f"{function.module.file.relpath}:{function.summary.line}"
    required = _required(function.module.file.path, name, function.summary.line)
    if required:
        example = ", ".join(repr("...") for _ in required)
        raise UsageError(
            f"the legacy app factory {qualname} ({where}) requires "
            f"{', '.join(required)}, and the generated entry points call it with no "
            f"arguments: set [tool.asyncify] factory = \"{name}({example})\" in "
            "pyproject.toml (the call the app's own tests or WSGI entry make)")
    return None


def _required(path: Path, name: str, line: int) -> list[str]:
    """The parameters of function ``name`` (defined around ``line``) that have no default."""
    try:
        tree = ast.parse(path.read_bytes())
    except (OSError, SyntaxError, ValueError):
        return []
    found = [node for node in ast.walk(tree)
             if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == name]
    if not found:
        return []
    node = min(found, key=lambda n: abs(n.lineno - line))
    args = node.args
    positional = [*args.posonlyargs, *args.args]
    without_default = positional[:len(positional) - len(args.defaults)]
    return [a.arg for a in without_default] + [
        a.arg for a, default in zip(args.kwonlyargs, args.kw_defaults, strict=True)
        if default is None]
