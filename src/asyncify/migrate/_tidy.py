"""Generated code a reviewer would merge: the last pass over a twin module.

The rules rewrite one construct at a time and add the imports they need where they can; the
twin is trimmed afterwards, so imports the legacy code needed can become unused. This pass
does what a developer runs a formatter for, in the project's style (isort sections, one
parameter per line for long signatures, calls split at their brackets), without making the
project depend on a formatter at run time:

- the leading import block is deduplicated, stripped of unused names and sorted into
  sections (``__future__``, standard library, third party, the project), as isort does;
- a ``def`` whose header is longer than the line limit gets one parameter per line;
- a statement longer than the limit has its outermost call's arguments split (all on one
  indented line when they fit, else one per line), as black and ruff format do;
- ``not (not x)`` in an ``if``/``while`` test (left by double negations) becomes ``x``;
- a TODO marker repeated on one statement (two rewrites of one line) is kept once.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence

import libcst as cst

from ..codemods._rule import bound_name, dotted

LINE = 100
_INDENT = "    "


def tidy(
    module: cst.Module, first_party: Iterable[str], reexport: tuple[str, Sequence[str]] = ("", ()),
) -> cst.Module:
    """``module`` with its imports sorted and pruned and its long lines split.

    ``reexport``: a module and names to import from it even when unused (a twin re-exports
    what it does not change, so ``twin.name`` works for every legacy ``name``).
    """
    module = _sort_imports(module, frozenset(first_party), reexport)
    return module.visit(_Split())


# --- imports -----------------------------------------------------------------------------


def _is_import(statement: cst.CSTNode) -> bool:
    return isinstance(statement, cst.SimpleStatementLine) and all(
        isinstance(small, cst.Import | cst.ImportFrom) for small in statement.body)


def _has_comment(statement: cst.SimpleStatementLine) -> bool:
    code = cst.Module([]).code_for_node(statement.with_changes(leading_lines=[]))
    return "#" in code


class _Used(cst.CSTVisitor):
    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def visit_Name(self, node: cst.Name) -> None:
        self.names.add(node.value)

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        # Names in string annotations and ``__all__``.
        self.names.update(node.value.strip("'\"").replace("[", " ").replace("]", " ")
                          .replace(",", " ").replace(".", " ").split())


def _section(module: str, first_party: frozenset[str]) -> int:
    top = module.partition(".")[0]
    if not top:
        return 4  # relative
    if top == "__future__":
        return 0
    if top in first_party:
        return 3
    if top in sys.stdlib_module_names:
        return 1
    return 2


def _member_key(name: str) -> tuple[int, str]:
    # isort's order-by-type: CONSTANTS, then Classes, then the rest.
    if name.isupper() and len(name) > 1:
        return 0, name
    if name[:1].isupper():
        return 1, name
    return 2, name.lower()


def _alias_text(alias: cst.ImportAlias) -> str:
    name = dotted(alias.name) or ""
    if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
        return f"{name} as {alias.asname.name.value}"
    return name


def _render_from(module: str, members: list[str]) -> str:
    line = f"from {module} import {', '.join(members)}"
    if len(line) <= LINE:
        return line
    return f"from {module} import (\n" + "".join(f"{_INDENT}{m},\n" for m in members) + ")"


def _sort_imports(
    module: cst.Module, first_party: frozenset[str], reexport: tuple[str, Sequence[str]],
) -> cst.Module:
    body = list(module.body)
    start = 0
    if body and isinstance(body[0], cst.SimpleStatementLine) and isinstance(
        body[0].body[0], cst.Expr
    ) and isinstance(body[0].body[0].value, cst.SimpleString | cst.ConcatenatedString):
        start = 1  # the module docstring
    end = start
    while end < len(body) and _is_import(body[end]):
        end += 1
    block = body[start:end]
    if not block:
        return module
    used = _Used()
    for statement in [*body[:start], *body[end:]]:
        statement.visit(used)
    straight: set[tuple[str, str]] = set()  # (section key, text)
    members: dict[str, set[str]] = {}
    kept: list[tuple[str, cst.SimpleStatementLine]] = []  # statements with comments
    for statement in block:
        assert isinstance(statement, cst.SimpleStatementLine)
        small = statement.body[0]
        if _has_comment(statement) or len(statement.body) != 1:
            target = small.module if isinstance(small, cst.ImportFrom) else None
            kept.append((dotted(target) or "" if target is not None else "", statement))
            continue
        if isinstance(small, cst.Import):
            for alias in small.names:
                if bound_name(alias) in used.names:
                    straight.add((dotted(alias.name) or "", _alias_text(alias)))
        elif isinstance(small, cst.ImportFrom) and not isinstance(small.names, cst.ImportStar):
            name = "." * len(small.relative) + (dotted(small.module) or "" if small.module
                                               is not None else "")
            chosen = members.setdefault(name, set())
            for alias in small.names:
                if name == "__future__" or bound_name(alias) in used.names:
                    chosen.add(_alias_text(alias))
        else:
            kept.append(("", statement))
    sections: dict[int, list[tuple[int, str, str]]] = {}
    for name, text in straight:
        sections.setdefault(_section(name, first_party), []).append(
            (0, name.lower(), f"import {text}"))
    home, exported = reexport
    bound = {bound_name(alias) for statement in block
             if isinstance(statement, cst.SimpleStatementLine) for small in statement.body
             if isinstance(small, cst.Import | cst.ImportFrom)
             and not isinstance(small.names, cst.ImportStar) for alias in small.names}
    exported = [name for name in exported if name not in bound or name in members.get(home, ())]
    if any(n not in used.names for n in exported):
        # One statement for the module, as isort merges them; the marker covers the names
        # only re-exported.
        names = sorted({*exported, *members.pop(home, ())}, key=_member_key)
        sections.setdefault(_section(home, first_party), []).append((1, home.lower(), (
            f"from {home} import (  # noqa: F401  (unchanged by the twin: re-exported)\n"
            + "".join(f"{_INDENT}{n},\n" for n in names) + ")")))
    elif exported:
        members.setdefault(home, set()).update(exported)
    for name, chosen in members.items():
        if chosen:
            sections.setdefault(_section(name, first_party), []).append(
                (1, name.lower(), _render_from(name, sorted(chosen, key=_member_key))))
    for name, statement in kept:
        code = cst.Module([]).code_for_node(statement.with_changes(leading_lines=[]))
        sections.setdefault(_section(name, first_party), []).append(
            (1, name.lower(), code.rstrip("\n")))
    text = "\n\n".join("\n".join(line for *_, line in sorted(sections[key]))
                       for key in sorted(sections))
    new_block = list(cst.parse_module(text + "\n").body)
    if new_block:
        first = block[0]
        assert isinstance(first, cst.SimpleStatementLine)
        new_block[0] = new_block[0].with_changes(leading_lines=first.leading_lines)
    rest = body[end:]
    if rest:
        blank = 2 if isinstance(rest[0], cst.FunctionDef | cst.ClassDef) else 1
        comments = [line for line in rest[0].leading_lines if line.comment is not None]
        rest[0] = rest[0].with_changes(
            leading_lines=[cst.EmptyLine()] * blank + comments)
    return module.with_changes(body=[*body[:start], *new_block, *rest])


# --- long lines ----------------------------------------------------------------------------


def _newline(indent: str) -> cst.ParenthesizedWhitespace:
    return cst.ParenthesizedWhitespace(
        first_line=cst.TrailingWhitespace(), indent=True,
        last_line=cst.SimpleWhitespace(indent))


def _longest(node: cst.CSTNode) -> int:
    return max((len(line) for line in cst.Module([]).code_for_node(node).splitlines()),
               default=0)


class _Split(cst.CSTTransformer):
    """Splits long ``def`` headers and long calls the way a formatter would."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        self.depth += 1

    def leave_IndentedBlock(
        self, original: cst.IndentedBlock, updated: cst.IndentedBlock
    ) -> cst.IndentedBlock:
        self.depth -= 1
        return updated

    def leave_FunctionDef(
        self, original: cst.FunctionDef, updated: cst.FunctionDef
    ) -> cst.FunctionDef:
        header = updated.with_changes(body=cst.SimpleStatementSuite([cst.Pass()]),
                                      leading_lines=[], decorators=[])
        if len(_INDENT * self.depth) + _longest(header) <= LINE:
            return updated
        params = updated.params
        if params.posonly_params or not (params.params or params.kwonly_params
                                          or params.star_kwarg):
            return updated  # rare in views: left as written
        inner, last = _newline(_INDENT), _newline("")
        star = params.star_arg
        parts: list[cst.Param | cst.ParamStar] = [
            *params.params, *([star] if isinstance(star, cst.Param | cst.ParamStar) else []),
            *params.kwonly_params, *([params.star_kwarg] if params.star_kwarg else [])]

        def comma(part: cst.Param | cst.ParamStar, end: bool) -> cst.Param | cst.ParamStar:
            with_comma = cst.Comma(whitespace_after=last if end else inner)
            if isinstance(part, cst.ParamStar):
                return part.with_changes(comma=with_comma)
            return part.with_changes(comma=with_comma,
                                     whitespace_after_param=cst.SimpleWhitespace(""))

        done = [comma(part, i == len(parts) - 1) for i, part in enumerate(parts)]
        index = len(params.params)
        new = params.with_changes(params=done[:index])
        if isinstance(star, cst.Param | cst.ParamStar):
            new = new.with_changes(star_arg=done[index])
            index += 1
        new = new.with_changes(kwonly_params=done[index:index + len(params.kwonly_params)])
        if params.star_kwarg:
            star_kwarg = done[-1]
            assert isinstance(star_kwarg, cst.Param)
            new = new.with_changes(star_kwarg=star_kwarg)
        return updated.with_changes(whitespace_before_params=_newline(_INDENT), params=new)

    def leave_SimpleStatementLine(
        self, original: cst.SimpleStatementLine, updated: cst.SimpleStatementLine
    ) -> cst.SimpleStatementLine:
        updated = _dedupe_comments(updated)
        bare = updated.with_changes(leading_lines=[])
        if len(updated.body) != 1 or _longest(bare) + len(_INDENT * self.depth) <= LINE:
            return updated
        small = updated.body[0]
        value = getattr(small, "value", None)
        if not isinstance(value, cst.Call) or not value.args or (
            "\n" in cst.Module([]).code_for_node(value)
        ):
            return updated
        base = len(_INDENT * self.depth)
        split = _split_call(value, 1, base, base + len(_code(small)) - len(_code(value)))
        return updated.with_changes(body=[small.with_changes(value=split)])

    def leave_Decorator(self, original: cst.Decorator, updated: cst.Decorator) -> cst.Decorator:
        base = len(_INDENT * self.depth)
        call = updated.decorator
        if not isinstance(call, cst.Call) or not call.args or base + 1 + len(_code(call)) <= LINE:
            return updated
        return updated.with_changes(decorator=_split_call(call, 1, base, base + 1))

    def leave_If(self, original: cst.If, updated: cst.If) -> cst.If:
        return updated.with_changes(test=_not_not(updated.test))

    def leave_While(self, original: cst.While, updated: cst.While) -> cst.While:
        return updated.with_changes(test=_not_not(updated.test))


def _code(node: cst.CSTNode) -> str:
    return cst.Module([]).code_for_node(node)


def _width(node: cst.CSTNode, base: int, prefix: int) -> int:
    """The longest line ``node`` makes, its first line starting ``prefix`` columns in and
    its other lines in a block indented ``base`` columns."""
    lines = _code(node).splitlines() or [""]
    return max([prefix + len(lines[0]), *(base + len(line) for line in lines[1:])])


def _split_call(call: cst.Call, level: int, base: int, prefix: int) -> cst.Call:
    """``call`` with its arguments on the next line (``level`` brackets deep), or one per line
    when they do not fit; an argument that is itself a long call is split the same way."""
    args = list(call.args)
    inner, outer = _INDENT * level, _INDENT * (level - 1)
    hugged = call.with_changes(
        whitespace_before_args=_newline(inner),
        args=[*args[:-1], args[-1].with_changes(
            comma=cst.MaybeSentinel.DEFAULT, whitespace_after_arg=_newline(outer))])
    if _width(hugged, base, prefix) <= LINE:
        return hugged
    split = []
    for index, arg in enumerate(args):
        bare = arg.with_changes(comma=cst.MaybeSentinel.DEFAULT)
        start = base + len(inner)
        if isinstance(arg.value, cst.Call) and arg.value.args and (
            _width(bare, base, start) + 1 > LINE
        ):
            head = len(_code(bare)) - len(_code(arg.value))
            arg = arg.with_changes(value=_split_call(arg.value, level + 1, base, start + head))
        last = index == len(args) - 1
        split.append(arg.with_changes(
            comma=cst.Comma(whitespace_after=_newline(outer if last else inner)),
            whitespace_after_arg=cst.SimpleWhitespace("")))
    return call.with_changes(whitespace_before_args=_newline(inner), args=split)


def _dedupe_comments(statement: cst.SimpleStatementLine) -> cst.SimpleStatementLine:
    # Two rewrites of one line can leave the same TODO twice: one says it.
    seen: set[str] = set()
    lines = []
    for line in statement.leading_lines:
        if line.comment is not None:
            if line.comment.value in seen:
                continue
            seen.add(line.comment.value)
        lines.append(line)
    return statement.with_changes(leading_lines=lines)


def _not_not(test: cst.BaseExpression) -> cst.BaseExpression:
    # In a condition, ``not (not x)`` and ``x`` decide the same branch.
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        inner = test.expression
        if isinstance(inner, cst.UnaryOperation) and isinstance(inner.operator, cst.Not):
            return inner.expression.with_changes(lpar=[], rpar=[])
    return test
