"""A psycopg2 ``(query, params)`` pair as asyncpg call arguments, shared by the ASY3xx rules.

A literal query is translated here (``$n`` placeholders, ``%%``, ``IN %s``), keeping the
string's quotes and line breaks; a query built at run time goes through ``pg_args`` from
``asyncify.compat``, which applies the same translator when the code runs.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import libcst as cst

from ._sql import Translation, translate

_SENTINEL = "\x00"
# Statements where a bound parameter is a syntax error in asyncpg (psycopg2 interpolated).
UTILITY = re.compile(r"\s*(SET|RESET|CREATE|ALTER|DROP|COMMENT|GRANT|REVOKE|NOTIFY|LISTEN|"
                     r"TRUNCATE|VACUUM|ANALYZE|COPY|DO)\b", re.IGNORECASE)


class Unsupported(Exception):
    """A construct the rewrite will not convert; the message becomes the TODO."""


class FlaggedBy(Unsupported):
    """Unsupported, and rule ``rule`` (when it runs too) already marks the spot with a TODO."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule


def _pieces(node: cst.BaseExpression) -> list[cst.SimpleString] | None:
    if isinstance(node, cst.SimpleString):
        return [node]
    if isinstance(node, cst.ConcatenatedString):
        left, right = _pieces(node.left), _pieces(node.right)
        return None if left is None or right is None else left + right
    return None


def literal(node: cst.BaseExpression) -> str | None:
    """The text of a plain string literal (implicitly concatenated or not), else ``None``."""
    pieces = _pieces(node)
    if pieces is None or any("b" in p.prefix.lower() for p in pieces):
        return None
    values = [p.evaluated_value for p in pieces]
    return "".join(v for v in values if isinstance(v, str))


def _render(value: str) -> cst.SimpleString:
    if "\n" in value and '"""' not in value and "\\" not in value and not value.endswith('"'):
        return cst.SimpleString(f'"""{value}"""')
    return cst.SimpleString(repr(value))


def rewritten(node: cst.BaseExpression, text: str, change: Callable[[str], str]) -> (
        cst.BaseExpression):
    """``node`` (a literal whose value is ``text``) with its value passed through ``change``,
    each piece keeping its own quotes when no escape sequence makes that unsafe."""
    pieces = _pieces(node)
    assert pieces is not None
    plain = all("\\" not in p.raw_value and "r" not in p.prefix.lower() for p in pieces)
    if plain and _SENTINEL not in text:
        parts = change(_SENTINEL.join(p.raw_value for p in pieces)).split(_SENTINEL)
        if len(parts) == len(pieces):
            new = {id(p): p.with_changes(value=p.prefix + p.quote + part + p.quote)
                   for p, part in zip(pieces, parts, strict=True)}
            return _replace_pieces(node, new)
    return _render(change(text))


def _replace_pieces(node: cst.BaseExpression, new: dict[int, cst.SimpleString]) -> (
        cst.BaseExpression):
    if isinstance(node, cst.SimpleString):
        return new[id(node)]
    assert isinstance(node, cst.ConcatenatedString)
    left, right = _replace_pieces(node.left, new), _replace_pieces(node.right, new)
    assert isinstance(left, cst.SimpleString | cst.ConcatenatedString)
    assert isinstance(right, cst.SimpleString | cst.ConcatenatedString)
    return node.with_changes(left=left, right=right)


def is_none(node: cst.BaseExpression | None) -> bool:
    return node is None or (isinstance(node, cst.Name) and node.value == "None")


def translated(query: cst.BaseExpression, params: cst.BaseExpression | None) -> (
        tuple[cst.BaseExpression, Translation] | None):
    """The literal ``query`` translated for asyncpg, or ``None`` when it is not a literal.

    :raises Unsupported: the query has a placeholder psycopg2 would not have read as intended.
    """
    text = literal(query)
    if text is None:
        return None
    translation = translate(text, with_params=not is_none(params))
    if translation.problems:
        raise Unsupported("the query cannot be translated: " + "; ".join(translation.problems))
    if translation.query == text:
        return query, translation
    return rewritten(query, text, lambda t: translate(t, with_params=True).query), translation


def _subscript(value: cst.BaseExpression, key: str) -> cst.Subscript:
    return cst.Subscript(value.deep_clone(), [cst.SubscriptElement(cst.Index(
        cst.SimpleString(repr(key))))])


def call_args(query: cst.BaseExpression, params: cst.BaseExpression | None,
              runtime: Callable[[], str]) -> list[cst.Arg]:
    """The arguments of ``conn.fetch(...)`` for psycopg2's ``cur.execute(query, params)``.
    ``runtime()`` imports ``pg_args`` and returns its local name, for dynamic queries.

    :raises Unsupported: see :func:`translated`; also parameters that do not fit.
    """
    done = translated(query, params)
    if done is None:
        if params is None or is_none(params):
            return [cst.Arg(query)]  # sent as is, as psycopg2 did without parameters
        return [cst.Arg(cst.Call(cst.Name(runtime()), [cst.Arg(query), cst.Arg(params)]),
                        star="*")]
    new_query, translation = done
    out = [cst.Arg(new_query)]
    if is_none(params):
        return out
    assert params is not None
    if translation.style == "named":
        if isinstance(params, cst.Dict):
            values: dict[str, cst.BaseExpression] = {}
            for element in params.elements:
                key = literal(element.key) if isinstance(element, cst.DictElement) else None
                if key is None or not isinstance(element, cst.DictElement):
                    raise Unsupported("the parameter dict has computed keys or ** entries")
                values[key] = element.value
            missing = [name for name in translation.names if name not in values]
            if missing:
                raise Unsupported(f"no value for placeholder(s) {', '.join(missing)}")
            return out + [cst.Arg(values[name]) for name in translation.names]
        if isinstance(params, cst.Name | cst.Attribute):
            return out + [cst.Arg(_subscript(params, name)) for name in translation.names]
        return [cst.Arg(cst.Call(cst.Name(runtime()), [cst.Arg(query), cst.Arg(params)]),
                        star="*")]
    if isinstance(params, cst.Tuple | cst.List):
        if any(isinstance(e, cst.StarredElement) for e in params.elements):
            return [*out, cst.Arg(params, star="*")]
        if len(params.elements) != translation.count:
            raise Unsupported(f"{translation.count} placeholder(s) but "
                              f"{len(params.elements)} parameter(s)")
        return out + [cst.Arg(e.value) for e in params.elements if isinstance(e, cst.Element)]
    if isinstance(params, cst.Dict):
        raise Unsupported("%s placeholders with a dict of parameters")
    return [*out, cst.Arg(params, star="*")]


def lines(statement: cst.BaseStatement) -> list[cst.EmptyLine]:
    """The comment and blank lines above a statement."""
    assert isinstance(statement, cst.SimpleStatementLine | cst.BaseCompoundStatement)
    return list(statement.leading_lines)


def clean_commas(args: list[cst.Arg]) -> list[cst.Arg]:
    """Arguments with libcst's default separators (drops trailing commas and odd spacing)."""
    return [a.with_changes(comma=cst.MaybeSentinel.DEFAULT,
                           whitespace_after_arg=cst.SimpleWhitespace("")) for a in args]


def one_per_line(func: cst.BaseExpression, args: list[cst.Arg]) -> cst.Call:
    """``func(args)``, one argument per line (with a trailing comma) when one of them spans
    lines (SQL written as adjacent strings) or they would make a long line."""
    code = [cst.Module([]).code_for_node(a.value) for a in args]
    if not any("\n" in c for c in code) and sum(len(c) + 2 for c in code) <= 72:
        return cst.Call(func, args)
    inner = cst.ParenthesizedWhitespace(
        first_line=cst.TrailingWhitespace(), indent=True, last_line=cst.SimpleWhitespace("    "))
    closing = cst.ParenthesizedWhitespace(
        first_line=cst.TrailingWhitespace(), indent=True, last_line=cst.SimpleWhitespace(""))
    laid = [a.with_changes(comma=cst.Comma(whitespace_after=inner)) for a in args[:-1]]
    laid.append(args[-1].with_changes(comma=cst.Comma(), whitespace_after_arg=closing))
    return cst.Call(func, laid, whitespace_before_args=inner)
