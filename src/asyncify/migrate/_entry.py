"""The generated entry points of a twin package: ``main.py``, the combined app (migrated
routes in front of the mounted legacy app), and ``standalone.py``, the migrated app without
the legacy app (what to serve once every endpoint is migrated)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import libcst as cst

from .._endpoints import Endpoint
from ..codemods.flask_fastapi._common import flask_path
from ._tidy import tidy


def _on_app(endpoint: Endpoint) -> bool:
    return endpoint.owner_kind != "blueprint"


def _routers(selected: Sequence[Endpoint], twins: dict[str, str]) -> dict[tuple[str, str], str]:
    """``{(twin module, URL prefix): router variable}``, in the order endpoints were applied."""
    routers: dict[tuple[str, str], str] = {}
    for endpoint in selected:
        if _on_app(endpoint):
            continue
        module, _, variable = endpoint.owner.rpartition(".")
        routers.setdefault((twins.get(module, module), endpoint.prefix.rstrip("/")), variable)
    return routers


def _factory(endpoint: Endpoint, call: str | None) -> tuple[str, str, str]:
    """The legacy app's module, the name to import (``app as legacy_app`` for a
    module-level app, whose name the entry point rebinds), and the expression building it
    (``call``, the configured factory call, or the factory called with no arguments)."""
    module, _, name = endpoint.app.partition(".<locals>")[0].rpartition(".")
    if "<locals>" in endpoint.app:
        return module, name, call or f"{name}()"
    if name in ("app", "legacy", "app_routes"):
        return module, f"{name} as legacy_{name}", f"legacy_{name}"
    return module, name, name


def _imports(factory_module: str, factory: str, modules: Sequence[str],
             taken: set[str]) -> tuple[list[str], dict[str, str]]:
    """The project imports of an entry point, and the name of each twin module."""
    names = _module_names(modules, {factory.rpartition(" ")[2], *taken})
    imports = [f"from {factory_module} import {factory}"]
    members: dict[str, list[str]] = {}
    for twin, name in sorted(names.items()):
        parent, _, leaf = twin.rpartition(".")
        if not parent:
            imports.append(f"import {twin}")
        else:
            members.setdefault(parent, []).append(leaf if name == leaf else f"{leaf} as {name}")
    imports += [f"from {parent} import {', '.join(leaves)}"
                for parent, leaves in members.items()]
    return imports, names  # sorted with the others by tidy()


def _module_names(modules: Sequence[str], taken: set[str]) -> dict[str, str]:
    """The name each twin module is imported as: its last component, unless two share it or
    it would shadow a name the file uses (then ``parent_leaf``)."""
    leaves = [m.rpartition(".")[2] for m in modules]
    names = {}
    for module, leaf in zip(modules, leaves, strict=True):
        clash = leaves.count(leaf) > 1 or leaf in taken
        names[module] = module.replace(".", "_") if clash else leaf
    return names


def _view_modules(selected: Sequence[Endpoint], twins: dict[str, str]) -> list[str]:
    """The twin modules holding the views of routes declared on the app itself."""
    return sorted({_view_home(e, twins)[0] for e in selected if _on_app(e)})


def _view_home(endpoint: Endpoint, twins: dict[str, str]) -> tuple[str, str]:
    module, _, function = endpoint.view.rpartition(".")
    return twins.get(module, module), function


def _app_routes(selected: Sequence[Endpoint], twins: dict[str, str],
                names: dict[str, str]) -> list[str]:
    """``app_routes``: a router for the routes the legacy app declares on itself
    (``app.add_url_rule`` in its factory), static paths first, as Werkzeug matches them."""
    on_app = [e for e in selected if _on_app(e)]
    if not on_app:
        return []
    lines = ["", "# The routes the legacy app declares on itself, not on a blueprint.",
             "app_routes = APIRouter()"]
    for endpoint in sorted(on_app, key=lambda e: _specificity(e.path)):
        path, _, inexact = flask_path(endpoint.path)
        module, function = _view_home(endpoint, twins)
        methods = list(endpoint.methods)
        if "GET" in methods and "HEAD" not in methods:
            methods.insert(methods.index("GET") + 1, "HEAD")
        if inexact:
            lines.append(f"# TODO[asyncify ASY102]: converter {', '.join(inexact)} is not "
                         "matched exactly by Starlette: check which paths reach the view")
        listed = ", ".join(f'"{m}"' for m in methods)
        lines.append(f'app_routes.add_api_route("{path}", flask_view({names[module]}.'
                     f'{function}), methods=[{listed}], name="{endpoint.name}")')
    return lines


def _specificity(path: str) -> tuple[int, ...]:
    return tuple(1 if "<" in part else 0 for part in path.split("/"))


def _router_list(routers: dict[tuple[str, str], str], names: dict[str, str],
                 app_routes: bool) -> list[str]:
    return ["    [",
            *(f'        ({names[twin]}.{variable}, "{prefix}"),'
              for (twin, prefix), variable in routers.items()),
            *(['        (app_routes, ""),'] if app_routes else []),
            "    ],"]


def _header(selected: Sequence[Endpoint], twins: dict[str, str], helpers: list[str],
            taken: set[str], factory: str | None, registering: Mapping[str, str] = {},
            ) -> tuple[list[str], dict[tuple[str, str], str], dict[str, str], list[str], str]:
    """The imports of an entry point, its routers, the twin modules' names, the
    ``app_routes`` lines and the expression building the legacy app.

    ``registering``: twin modules whose views register on a router another twin module
    defines (→ that router): imported for that alone."""
    routers = _routers(selected, twins)
    factory_module, imported, build = _factory(selected[0], factory)
    modules = sorted({t for t, _ in routers} | set(_view_modules(selected, twins)))
    imports, names = _imports(factory_module, imported, modules, {*taken, *helpers,
                                                                 "app_routes", "APIRouter"})
    imports += _registering(registering, {*taken, *helpers, "app_routes", "APIRouter",
                                          factory_module.partition(".")[0],
                                          imported.rpartition(" ")[2], *names.values()})
    app_routes = _app_routes(selected, twins, names)
    if app_routes:
        helpers = sorted([*helpers, "flask_view"])
    lines = [f"from asyncify.compat import {', '.join(helpers)}"]
    if app_routes:
        lines.append("from fastapi import APIRouter")
    return [*lines, "", *imports], routers, names, app_routes, build


def _registering(registering: Mapping[str, str], taken: set[str]) -> list[str]:
    """The imports of the twin modules whose views register on a router defined in another
    twin module (a blueprint defined in another module than its views): importing the
    router's module alone would leave it empty."""
    lines = []
    for twin in sorted(registering):
        parent, _, leaf = twin.rpartition(".")
        name = leaf if leaf not in taken else twin.replace(".", "_")
        taken.add(name)
        alias = leaf if name == leaf else f"{leaf} as {name}"
        lines.append(f"from {parent} import {alias}  # noqa: F401  (registers its routes)"
                     if parent else f"import {twin}  # noqa: F401  (registers its routes)")
    return lines


def combined_app(selected: Sequence[Endpoint], twins: dict[str, str],
                 factory: str | None = None, inline_hooks: Sequence[str] = (),
                 registering: Mapping[str, str] = {}) -> str:
    """``main.py``: the migrated routers in front of the legacy app (``compat.combine``);
    ``factory``: the configured call of the app factory; ``inline_hooks``: the legacy hooks
    that do no I/O (they may run on the event loop); ``registering``: see :func:`_header`."""
    imports, routers, names, app_routes, build = _header(
        selected, twins, ["combine"], {"legacy", "app"}, factory, registering)
    return _tidied(selected, twins, [
        '"""The combined app, written by `asyncify apply` (re-run it; do not edit by hand).',
        "",
        "The migrated endpoints answer from their async twins, inside the legacy app's request",
        "context (its before_request hooks, g, config and error handlers still apply); every",
        "other path goes to the legacy Flask app. With ASYNCIFY_FLAGS set (a flag file or a",
        "Redis URL), asyncify.rollout decides per request which one serves a migrated",
        "endpoint: `asyncify flags` moves each through legacy, shadow, canary and async.",
        "",
        "Serve it with uvicorn's `--loop asyncify.serving:fair_accept_loop` (uvloop that",
        "accepts a burst of new connections at once: see asyncify.serving).",
        '"""',
        "",
        *imports,
        "from asyncify.rollout import Rollout",
        "",
        f"legacy = {build}",
        *app_routes,
        *([""] if app_routes else []),
        "app = combine(",
        "    legacy,",
        *_router_list(routers, names, bool(app_routes)),
        "    rollout=Rollout.configured(),",
        *_inline_hooks(inline_hooks),
        ")",
        "",
    ])


def _line(endpoint: Endpoint) -> str:
    methods = ", ".join(m for m in endpoint.methods if m not in ("HEAD", "OPTIONS"))
    return f"- {methods} {endpoint.path} ({endpoint.id})"


def standalone_app(
    selected: Sequence[Endpoint], endpoints: Sequence[Endpoint], twins: dict[str, str],
    staying: set[str], factory: str | None = None, inline_hooks: Sequence[str] = (),
    registering: Mapping[str, str] = {},
) -> str:
    """``standalone.py``: the migrated routers without the legacy app mounted
    (``compat.standalone``). Routes declared on the app object itself, and the ``staying``
    endpoints (applied, but their endpoint layer could not be converted), are served by
    their legacy view functions; the docstring lists them, and what is not migrated yet."""
    imports, routers, names, app_routes, build = _header(selected, twins, ["standalone"],
                                                         {"app"}, factory, registering)
    chosen = {e.id for e in selected}
    on_app = [e for e in endpoints if e.id not in chosen and not e.dynamic
              and ("<locals>" in e.view or "<locals>" in e.owner)]
    missing = [e for e in endpoints if e.id not in chosen and e not in on_app]
    kept = [e for e in selected if e.id in staying]
    lines = [
        '"""The migrated app standing alone, written by `asyncify apply` (re-run it; do not '
        "edit",
        "by hand). Serve it once every endpoint is migrated: the legacy Flask app is not "
        "mounted; its",
        "object still provides the request context (g, request, config), the before/after "
        "request",
        "hooks and the error handlers the migrated code relies on (asyncify.compat.standalone).",
        "Serve it with uvicorn's `--loop asyncify.serving:fair_accept_loop` (see "
        "asyncify.serving).",
    ]
    if missing:
        lines += ["", "Not migrated yet (404 here until they are):",
                  *(_line(e) for e in missing)]
    else:
        lines += ["", "Every endpoint `apply` can migrate is applied."]
    if on_app:
        lines += ["", "Served by their legacy view functions (declared inside a function, "
                  "which `apply`", "cannot import):", *(_line(e) for e in on_app)]
    if kept:
        lines += ["", "Served by their legacy view functions (applied, but what they return "
                  "is not converted;", "a streamed body is sent once complete):",
                  *(_line(e) for e in kept)]
    lines += ['"""', "", *imports, *app_routes, "",
              "app = standalone(", f"    {build},", *_router_list(routers, names,
                                                                bool(app_routes))]
    if on_app or kept:
        views = ", ".join(f'"{e.name}"' for e in [*on_app, *kept])
        lines += [f"    legacy_views=[{views}],"]
    lines += [*_inline_hooks(inline_hooks), ")", ""]
    return _tidied(selected, twins, lines)


def _inline_hooks(hooks: Sequence[str]) -> list[str]:
    if not hooks:
        return []
    return ["    # The legacy request hooks, which do no I/O: they run on the event loop.",
            "    inline_hooks=[", *(f'        "{hook}",' for hook in hooks), "    ],"]


def _tidied(selected: Sequence[Endpoint], twins: dict[str, str], lines: list[str]) -> str:
    """The entry point's text through the twins' last pass (long lines split)."""
    packages = {selected[0].app.partition(".")[0], *(t.partition(".")[0] for t in
                                                     twins.values())}
    return tidy(cst.parse_module("\n".join(lines)), packages).code
