"""psycopg2 placeholders → asyncpg's ``$n``, as psycopg2 itself would have read the query.

Used twice: by the ASY301 rewrite on literal queries, and at run time by :func:`pg_args` for
queries built dynamically (so it lives here, importable without libcst).

psycopg2 interpolates client-side over the *whole* string when parameters are passed:
``%s`` and ``%(name)s`` are replaced, ``%%`` becomes ``%`` (inside quotes too), and any other
``%`` raises. Without parameters the string is sent untouched. asyncpg never interprets ``%``.

So, with parameters: ``%s`` → ``$1, $2…``; ``%(name)s`` → one ``$k`` per distinct name (a
repeated name reuses its number); ``%%`` → ``%`` everywhere. A placeholder inside a quoted
literal, a quoted identifier, a dollar-quoted body or a comment is reported as a problem (the
query could not have worked as intended), never guessed. Without parameters nothing changes.

``x IN %s`` (psycopg2 renders a tuple as ``(a, b)``) becomes ``x = ANY($n)`` and ``NOT IN``
becomes ``<> ALL($n)``: asyncpg binds the tuple as one array. ``arrays`` names those ``$n``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import Any, Literal

Style = Literal["none", "positional", "named"]
_IN = re.compile(r"(?<![\w$])(NOT\s+)?IN\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Translation:
    query: str
    style: Style
    count: int  # how many $n the query uses
    names: tuple[str, ...] = ()  # for named style: the name bound to $1, $2…
    problems: tuple[str, ...] = field(default=())
    arrays: tuple[int, ...] = ()  # the $n that replaced ``IN %s`` (bound as arrays)
    statements: int = 1  # SQL commands in the text (``;`` outside quotes and comments)


def translate(query: str, *, with_params: bool, sentinel: bool = False) -> Translation:
    """Translate one psycopg2 query string for asyncpg (see the module docstring).

    ``sentinel``: write each placeholder as ``\0n\0`` instead of ``$n`` (NUL never occurs in
    a PostgreSQL query), for :func:`pg_args` to fill in."""
    if not with_params:
        return Translation(query, "none", 0)
    out: list[str] = []
    problems: list[str] = []
    names: dict[str, int] = {}
    positional = 0
    i, n = 0, len(query)
    region: str | None = None  # what kind of quoted region we are in, if any
    backslash = False  # inside an E'...' string, where \' escapes a quote
    dollar_tag = ""
    depth = 0  # nesting of /* */ comments
    arrays: list[int] = []
    separators: list[int] = []  # offsets of the top-level ``;`` in ``query``

    def placeholder(number: int) -> str:
        """``$n``, or ``= ANY($n)`` / ``<> ALL($n)`` in place of a preceding ``[NOT] IN``."""
        if region is None:
            tail = "".join(out[-64:])
            match = _IN.search(tail)
            if match is not None:
                del out[-64:]
                out.append(tail[: match.start()])
                arrays.append(number)
                mark = f"\0{number}\0" if sentinel else f"${number}"
                return f"<> ALL({mark})" if match.group(1) else f"= ANY({mark})"
        return f"\0{number}\0" if sentinel else f"${number}"
    while i < n:
        ch = query[i]
        if ch == "%":
            # psycopg2 reads % everywhere, quoted or not.
            if query.startswith("%%", i):
                out.append("%")
                i += 2
                continue
            if query.startswith("%s", i):
                if region is not None:
                    problems.append(f"%s inside {region} is substituted by psycopg2")
                positional += 1
                out.append(placeholder(positional))
                i += 2
                continue
            if query.startswith("%(", i):
                end = query.find(")s", i)
                if end == -1:
                    problems.append(f"malformed named placeholder at offset {i}")
                    out.append(ch)
                    i += 1
                    continue
                name = query[i + 2 : end]
                if region is not None:
                    problems.append(f"%({name})s inside {region} is substituted by psycopg2")
                number = names.setdefault(name, len(names) + 1)
                out.append(placeholder(number))
                i = end + 2
                continue
            problems.append(f"a lone % at offset {i} (psycopg2 raises on it)")
            out.append(ch)
            i += 1
            continue
        if region is None:
            if ch == ";":
                separators.append(i)
            if ch == "'":
                region = "a string literal"
                backslash = i > 0 and query[i - 1] in "eE" and (
                    i == 1 or not (query[i - 2].isalnum() or query[i - 2] == "_"))
            elif ch == '"':
                region = "a quoted identifier"
            elif query.startswith("--", i):
                region = "a comment"
            elif query.startswith("/*", i):
                region, depth = "a block comment", 1
                out.append("/*")
                i += 2
                continue
            elif ch == "$":
                tag = _dollar_tag(query, i)
                if tag is not None:
                    region, dollar_tag = "a dollar-quoted string", tag
                    out.append(tag)
                    i += len(tag)
                    continue
        elif region == "a string literal" and backslash and ch == "\\":
            out.append(query[i : i + 2])
            i += 2
            continue
        elif region == "a string literal" and ch == "'":
            if query.startswith("''", i):
                out.append("''")
                i += 2
                continue
            region = None
        elif (region == "a quoted identifier" and ch == '"') or (
            region == "a comment" and ch == "\n"
        ):
            region = None
        elif region == "a block comment":
            if query.startswith("/*", i):
                depth += 1
                out.append("/*")
                i += 2
                continue
            if query.startswith("*/", i):
                depth -= 1
                out.append("*/")
                i += 2
                if depth == 0:
                    region = None
                continue
        elif region == "a dollar-quoted string" and query.startswith(dollar_tag, i):
            out.append(dollar_tag)
            i += len(dollar_tag)
            region = None
            continue
        out.append(ch)
        i += 1
    if positional and names:
        problems.append("mixes %s and %(name)s placeholders (psycopg2 rejects that)")
    style: Style = "named" if names else "positional"
    count = len(names) if names else positional
    ordered = tuple(sorted(names, key=names.__getitem__))
    text = "".join(out)
    statements = 1 + sum(1 for at in separators if _more_sql(query[at + 1:]))
    return Translation(text, style, count, ordered, tuple(dict.fromkeys(problems)),
                       tuple(sorted(set(arrays))), statements)


def _more_sql(rest: str) -> bool:
    """Whether SQL (not only blanks, ``;`` and comments) follows a ``;``."""
    rest = re.sub(r"--[^\n]*|/\*.*?\*/|;", "", rest, flags=re.DOTALL)
    return bool(rest.strip())


def statement_count(query: str) -> int:
    """How many SQL commands ``query`` holds (asyncpg prepares, and so runs, one per call
    unless it is sent without arguments by ``execute``)."""
    return translate(query, with_params=True).statements


def _dollar_tag(query: str, i: int) -> str | None:
    """``$tag$`` or ``$$`` starting at ``i`` (not ``$1``, which is a parameter)."""
    j = i + 1
    while j < len(query) and (query[j].isalnum() or query[j] == "_"):
        j += 1
    if j < len(query) and query[j] == "$":
        tag = query[i : j + 1]
        if not tag[1:-1] or not tag[1].isdigit():
            return tag
    return None


@lru_cache(maxsize=512)
def _cached(query: str, with_params: bool) -> Translation:
    return translate(query, with_params=with_params, sentinel=with_params)


_SENTINEL = re.compile("\0(\\d+)\0")


def _literal(text: str) -> str:
    """A string as psycopg2 renders it into the SQL: a quoted literal of unknown type, which
    the server coerces to whatever the context needs (an int column, a date…)."""
    if "\\" in text:
        return "E'" + text.replace("\\", "\\\\").replace("'", "''") + "'"
    return "'" + text.replace("'", "''") + "'"


def _bind(translation: Translation, args: list[Any]) -> tuple[Any, ...]:
    """The query and asyncpg arguments: ``str`` values are inlined as psycopg2 did (asyncpg
    binds typed parameters, so ``'1'`` for an integer column would raise ``DataError``);
    every other value is bound as ``$n``, renumbered."""
    numbers: dict[int, str] = {}
    bound: list[Any] = []
    for number, value in enumerate(args, 1):
        if isinstance(value, str) and number not in translation.arrays:
            numbers[number] = _literal(value)
        else:
            bound.append(value)
            numbers[number] = f"${len(bound)}"
    return (_SENTINEL.sub(lambda m: numbers[int(m[1])], translation.query), *bound)


def pg_args(query: Any, params: Sequence[Any] | Mapping[str, Any] | None = None) -> tuple[Any, ...]:
    """A psycopg2 ``cursor.execute(query, params)`` call as asyncpg arguments:
    ``await conn.fetch(*pg_args(query, params))``.

    For queries built at run time (the rewrite translates literal queries itself): the
    placeholders are translated as psycopg2 would have read them, named parameters are put in
    ``$n`` order, and ``psycopg2.extras.Json`` values become the JSON text psycopg2 sent.

    :raises TypeError: ``query`` is neither a string nor a ``psycopg2.sql`` composition
        :func:`render_composed` can render, or the parameters do not fit the placeholders'
        style.
    :raises ValueError: the query has a placeholder psycopg2 would have rejected.
    :raises KeyError: a named placeholder has no value in ``params``.
    """
    if isinstance(query, bytes):
        query = query.decode()
    if type(query).__module__ == "psycopg2.sql":
        query = render_composed(query)
    if not isinstance(query, str):
        raise TypeError(f"cannot run {type(query).__name__} query {query!r} on asyncpg: "
                        "pass the SQL as a string")
    translation = _cached(query, params is not None)
    if translation.problems:
        raise ValueError(f"psycopg2 query {query!r} cannot be translated: "
                         f"{'; '.join(translation.problems)}")
    if params is None:
        return (translation.query,)  # (no parameters: no sentinels either)
    if translation.style == "named":
        if not isinstance(params, Mapping):
            raise TypeError(f"query {query!r} uses %(name)s placeholders but the parameters "
                            f"are a {type(params).__name__}, not a mapping")
        args = [params[name] for name in translation.names]
    else:
        if isinstance(params, Mapping | str | bytes) and (
                translation.count or not isinstance(params, Mapping)):
            raise TypeError(f"query {query!r} uses %s placeholders: pass a sequence of "
                            f"parameters, not a {type(params).__name__}")
        args = [] if isinstance(params, Mapping) else list(params)
        if len(args) != translation.count:
            raise TypeError(f"query {query!r} has {translation.count} placeholder(s) but "
                            f"{len(args)} parameter(s) were given")
    return _bind(translation, [_adapted(arg) for arg in args])


def render_composed(query: Any) -> str:
    """A ``psycopg2.sql`` composition as the SQL text psycopg2's ``as_string`` would give
    (it needs a psycopg2 connection; this does not): ``SQL`` as written, ``Identifier`` quoted
    (``"b"."list_price"``), ``Placeholder`` as ``%s``/``%(name)s`` (translated afterwards like
    any placeholder), ``Literal`` of a str, number, bool or None quoted as psycopg2 quotes it.

    :raises TypeError: a ``Literal`` of another type, or an unknown part.
    """
    kind = type(query).__name__
    if kind == "Composed":
        return "".join(render_composed(part) for part in query.seq)
    if kind == "SQL":
        return str(query.string)
    if kind == "Identifier":
        return ".".join('"' + part.replace('"', '""') + '"' for part in query.strings)
    if kind == "Placeholder":
        return "%s" if query.name is None else f"%({query.name})s"
    if kind == "Literal":
        value = query.wrapped
        if value is None:
            return "NULL"
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, str):
            return _literal(value)
        if isinstance(value, int | Decimal) or (
                isinstance(value, float) and math.isfinite(value)):
            return str(value)
    raise TypeError(f"cannot render {query!r} without a psycopg2 connection: build the SQL "
                    "string, or pass the value as a parameter")


def _adapted(value: Any) -> Any:
    """psycopg2's ``Json`` wrapper → the JSON text it would have sent (the pool's json/jsonb
    codec passes text through unchanged)."""
    if type(value).__name__ == "Json" and hasattr(value, "adapted") and hasattr(value, "dumps"):
        return value.dumps(value.adapted)
    return value
