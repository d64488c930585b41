"""psycopg2 placeholders → asyncpg's ``$n``, as psycopg2 itself would have read the query.

psycopg2 interpolates client-side over the *whole* string when parameters are passed:
``%s`` and ``%(name)s`` are replaced, ``%%`` becomes ``%`` (inside quotes too), and any other
``%`` raises. Without parameters the string is sent untouched. asyncpg never interprets ``%``.

So, with parameters: ``%s`` → ``$1, $2…``; ``%(name)s`` → one ``$k`` per distinct name (a
repeated name reuses its number); ``%%`` → ``%`` everywhere. A placeholder inside a quoted
literal, a quoted identifier, a dollar-quoted body or a comment is reported as a problem (the
query could not have worked as intended), never guessed. Without parameters nothing changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Style = Literal["none", "positional", "named"]


@dataclass(frozen=True)
class Translation:
    query: str
    style: Style
    count: int  # how many $n the query uses
    names: tuple[str, ...] = ()  # for named style: the name bound to $1, $2…
    problems: tuple[str, ...] = field(default=())


def translate(query: str, *, with_params: bool) -> Translation:
    """Translate one psycopg2 query string for asyncpg (see the module docstring)."""
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
                out.append(f"${positional}")
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
                out.append(f"${number}")
                i = end + 2
                continue
            problems.append(f"a lone % at offset {i} (psycopg2 raises on it)")
            out.append(ch)
            i += 1
            continue
        if region is None:
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
    return Translation("".join(out), style, count, ordered, tuple(dict.fromkeys(problems)))


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
