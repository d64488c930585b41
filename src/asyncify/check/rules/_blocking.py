"""Shared by the blocking-call rules: which rule a catalog operation belongs to, and the
findings for calls written directly in ``async def`` and reached through sync helpers."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from ..._callgraph import Site
from .._context import Context
from .._model import Finding, Step

_BY_CATEGORY = {
    "http": "ASY600", "subprocess": "ASY601", "file": "ASY602", "input": "ASY604",
    "sleep": "ASY605", "db": "ASY606",
}  # fmt: skip
OTHER = "ASY607"


def rule_for(site: Site) -> str:
    """The direct rule for a catalog operation: by category, ``os.path`` apart (ASY603)."""
    if site.target.startswith("os.path."):
        return "ASY603"
    return _BY_CATEGORY.get(site.operation.category, OTHER)


def direct(rule: str) -> Callable[[Context], Iterator[Finding]]:
    """Findings for catalog operations of ``rule`` called directly in an ``async def``."""

    def find(ctx: Context) -> Iterator[Finding]:
        for fn in ctx.async_functions():
            for site in ctx.sites(fn.qname):
                if rule_for(site) != rule:
                    continue
                op = site.operation
                how = " (matched by method and receiver name)" if (
                    site.confidence == "heuristic") else ""
                advice = op.replacement if op.replacement.startswith("see ") else (
                    f"use {op.replacement}")
                yield ctx.finding(
                    rule, fn.qname, site.line, site.col,
                    f"blocking {_what(site)}{how} in async def "
                    f"{ctx.short(fn.qname)}; {advice}",
                    site.target,
                )

    return find


def transitive(ctx: Context) -> Iterator[Finding]:
    """Blocking I/O that an ``async def`` reaches by calling sync helpers."""
    for fn in ctx.async_functions():
        seen: set[tuple[int, str, str, int]] = set()
        for first in ctx.graph.edges.get(fn.qname, ()):
            if not ctx.runs_inline(fn.qname, first):
                continue
            parent = ctx.below(first.callee)
            for helper in parent:
                for site in ctx.sites(helper):
                    op = site.operation
                    if not op.io or op.category == "cpu":
                        continue
                    mark = (first.line, first.callee, helper, site.line)
                    if mark in seen:
                        continue
                    seen.add(mark)
                    chain = ctx.chain(parent, helper)
                    via = " (via " + " -> ".join(
                        [ctx.short(first.callee), *(ctx.short(e.callee) for e in chain)]
                    ) + ")" if chain else ""
                    where = f"{ctx.path_of(helper)}:{site.line}"
                    yield ctx.finding(
                        "ASY610", fn.qname, first.line, ctx.col_of(fn.qname, first.line),
                        f"async def {ctx.short(fn.qname)} calls sync helper "
                        f"{ctx.short(first.callee)}(), which blocks on {_what(site)} "
                        f"at {where}{via}; {_fix(site)}",
                        f"{first.callee}|{helper}|{site.target}",
                        (*ctx.steps(first, chain),
                         _site_step(ctx, helper, site)),
                    )


def _what(site: Site) -> str:
    """``db call sqlalchemy.orm.Session.commit()`` or, for an attribute that loads on read,
    ``db read notes.models.Note.tags (lazy relationship load: …)``."""
    category = site.operation.category
    if site.kind == "read":
        return f"{category} read {site.target} ({site.operation.note.partition(':')[0]})"
    return f"{category} call {site.target}()"


def _fix(site: Site) -> str:
    if site.kind == "read":  # no thread helps: the object's session is the event loop's
        return f"use {site.operation.replacement}"
    return "make the helper async or run it with await asyncio.to_thread(...)"


def _site_step(ctx: Context, helper: str, site: Site) -> Step:
    return Step(ctx.path_of(helper), site.line, ctx.short(helper), f"blocking {_what(site)}")
