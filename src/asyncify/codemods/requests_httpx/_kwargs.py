"""The keyword handling every requests → httpx call rewrite shares (ASY201 module-level calls,
ASY204 session calls): requests' defaults made explicit, its value rules kept (semantics.md §1).

- ``follow_redirects`` with requests' default for the verb (``head`` does not follow);
- no timeout stays no timeout (``timeout=None`` plus a TODO); a ``(connect, read)`` tuple
  becomes ``httpx.Timeout`` with write and pool bounded by the read value;
- ``params``/``data`` dicts of unknown content go through ``requests_params`` (None dropped,
  bools as ``True``/``False``); a literal str body becomes ``content=``;
- ``headers`` of unknown content go through ``requests_headers`` (a None value not sent);
- a body on GET/HEAD/OPTIONS/DELETE goes through ``request("GET", ...)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import libcst as cst

if TYPE_CHECKING:
    from .._engine import Pass

VERBS = ("get", "post", "put", "patch", "delete", "head", "options")
_POSITIONAL = {"get": ("params",), "post": ("data", "json"), "put": ("data",), "patch": ("data",)}
# Per-request arguments httpx only takes on the client.
CLIENT_ONLY = ("verify", "cert", "proxies", "hooks")
_BODYLESS = ("get", "head", "options", "delete")


def kw(name: str, value: cst.BaseExpression) -> cst.Arg:
    return cst.Arg(keyword=cst.Name(name), value=value,
                   equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""),
                                         whitespace_after=cst.SimpleWhitespace("")))


def is_literal_mapping(node: cst.BaseExpression) -> bool:
    """A dict literal of string keys and str/int/float literal values: sent the same by both."""
    if not isinstance(node, cst.Dict):
        return False
    for element in node.elements:
        if not isinstance(element, cst.DictElement):
            return False
        if not isinstance(element.key, cst.SimpleString):
            return False
        if not isinstance(element.value, cst.SimpleString | cst.Integer | cst.Float):
            return False
    return True


def laid_out(original: cst.Call, args: list[cst.Arg]) -> list[cst.Arg]:
    """``args`` separated the way the original call separated its own (one per line stays
    one per line, a trailing comma stays)."""
    if len(original.args) < 2:
        return [a.with_changes(comma=cst.MaybeSentinel.DEFAULT) for a in args]
    separator = original.args[0].comma
    last = original.args[-1].comma
    # What follows the last argument (the newline before a closing parenthesis on its own
    # line) stays after the last argument.
    tail = original.args[-1].whitespace_after_arg
    opening = original.whitespace_before_args
    if isinstance(tail, cst.ParenthesizedWhitespace) and isinstance(
        opening, cst.ParenthesizedWhitespace
    ) and not isinstance(separator, cst.MaybeSentinel) and not isinstance(
        separator.whitespace_after, cst.ParenthesizedWhitespace
    ):
        # ``f(\n    a, b\n)`` grown past the line length: one argument per line.
        width = sum(len(cst.Module([]).code_for_node(a)) + 2 for a in args)
        if width + len(opening.last_line.value) + 8 > 99:
            separator = cst.Comma(whitespace_after=opening)
            last = cst.Comma()
    return [
        *(a.with_changes(comma=separator, whitespace_after_arg=cst.SimpleWhitespace(""))
          for a in args[:-1]),
        args[-1].with_changes(comma=last, whitespace_after_arg=tail),
    ]


@dataclass
class Request:
    """A requests call taken apart: the verb, the method expression of ``request(...)``,
    the URL argument and the keywords by name."""

    verb: str
    method: cst.BaseExpression | None
    url: cst.Arg
    keywords: dict[str, cst.Arg]


def split_call(verb: str, args: list[cst.Arg]) -> Request | str | None:
    """The call's arguments by name; a reason string when they cannot be handled
    (``**kwargs``), ``None`` when the call does not look like a requests call at all."""
    method: cst.BaseExpression | None = None
    if verb == "request":
        if not args or args[0].keyword is not None:
            return None
        method, args = args[0].value, args[1:]
    if not args or args[0].keyword is not None:
        return None
    url, rest = args[0], args[1:]
    keywords: dict[str, cst.Arg] = {}
    for position, arg in enumerate(rest):
        if arg.keyword is None:
            names = _POSITIONAL.get(verb, ())
            if arg.star or position >= len(names):
                return None
            arg = kw(names[position], arg.value)
        elif arg.star:
            return ("**kwargs passed through: check them against httpx (timeout, "
                    "allow_redirects, verify…)")
        assert arg.keyword is not None
        keywords[arg.keyword.value] = arg
    return Request(verb, method, url, keywords)


def client_only_reason(keywords: dict[str, cst.Arg]) -> str | None:
    """Why the per-request keywords cannot be kept on an httpx call, if they cannot."""
    for name in CLIENT_ONLY:
        if name in keywords:
            return f"{name}= is client-level in httpx (AsyncClient({name}=...))"
    return None


def _json_body(p: Pass, rule: str, original: cst.Call, keywords: dict[str, cst.Arg],
               value: cst.BaseExpression) -> None:
    """``json=`` as the exact bytes requests sends (``json.dumps`` defaults, ``allow_nan=False``,
    UTF-8), since httpx serialises compactly and without ASCII escapes (signed bodies break)."""
    headers = keywords.get("headers")
    content_type = cst.DictElement(cst.SimpleString('"Content-Type"'),
                                   cst.SimpleString('"application/json"'))
    if headers is None:
        new_headers: cst.BaseExpression = cst.Dict([content_type])
    elif isinstance(headers.value, cst.Dict):
        keys = [e.key for e in headers.value.elements if isinstance(e, cst.DictElement)]
        if any(not isinstance(k, cst.SimpleString) or k.evaluated_value.lower() == "content-type"
               for k in keys):
            new_headers = headers.value  # the caller sets it (or may: keep theirs)
        else:
            new_headers = headers.value.with_changes(
                elements=[content_type.with_changes(comma=cst.Comma(
                    whitespace_after=cst.SimpleWhitespace(" "))), *headers.value.elements])
    else:
        p.todo(rule, original, "httpx serialises json= compactly and without ASCII escapes "
               "(requests: json.dumps defaults): if the body is signed or compared, send "
               "content=json.dumps(...).encode() with a Content-Type header")
        return
    p.need_import("json")
    dumps = cst.Call(cst.parse_expression("json.dumps"),
                     [cst.Arg(value, comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))),
                      kw("allow_nan", cst.Name("False"))])
    encoded = cst.Call(cst.Attribute(dumps, cst.Name("encode")),
                       [cst.Arg(cst.SimpleString('"utf-8"'))])
    rebuilt: dict[str, cst.Arg] = {}
    for name, arg in keywords.items():
        if name == "json":
            rebuilt["content"] = kw("content", encoded)
        elif name == "headers":
            rebuilt["headers"] = arg.with_changes(value=new_headers)
        else:
            rebuilt[name] = arg
    if headers is None:
        rebuilt["headers"] = kw("headers", new_headers)
    keywords.clear()
    keywords.update(rebuilt)


def httpx_arguments(
    p: Pass, rule: str, original: cst.Call, request: Request, *, streamed: bool = False,
    requests_client: bool = False,
) -> tuple[str, list[cst.Arg]]:
    """The httpx method name and its arguments (not yet laid out), leaving TODOs for what
    cannot be kept exactly. ``streamed``: for ``client.stream(...)``, which always takes the
    HTTP method first. ``requests_client``: the client is a ``compat.RequestsAsyncClient``
    (an adopted session), which builds the URL, the query string and a ``json=`` body as
    requests does and has requests' default of no timeout."""
    keywords = dict(request.keywords)
    keywords.pop("stream", None)
    url = request.url
    out: list[cst.Arg] = [url.with_changes(comma=cst.MaybeSentinel.DEFAULT)]
    follow = keywords.pop("allow_redirects", None)
    for name in ("params", "data"):
        arg = keywords.get(name)
        if arg is None:
            continue
        if isinstance(arg.value, cst.SimpleString | cst.ConcatenatedString) and name == "data":
            keywords[name] = kw("content", arg.value)
            continue
        if requests_client and name == "params":
            continue  # requests' own prepare_url encodes them
        if not is_literal_mapping(arg.value):
            p.need_import("asyncify.compat", "requests_params")
            wrapped = cst.Call(cst.Name("requests_params"), [cst.Arg(arg.value)])
            keywords[name] = kw(name, wrapped)
            if name == "data" and not isinstance(arg.value, cst.Dict | cst.DictComp):
                # (a dict display is a dict: requests_params drops its None values, as
                # requests does, and nothing is left to check)
                p.todo(rule, original, "data= of unknown type: requests_params keeps "
                       "dicts as requests sends them; str/bytes bodies want content=")
    body = keywords.get("json")
    if body is not None and "data" not in keywords and not requests_client:
        _json_body(p, rule, original, keywords, body.value)
    headers = keywords.get("headers")
    if headers is not None and not requests_client and not is_literal_mapping(headers.value):
        # A header whose value is None (an unset setting) is not sent by requests; httpx
        # raises TypeError. (An adopted session's client drops them itself.)
        p.need_import("asyncify.compat", "requests_headers")
        keywords["headers"] = headers.with_changes(
            value=cst.Call(cst.Name("requests_headers"), [cst.Arg(headers.value)]))
    if "params" in keywords and not requests_client and not (
        isinstance(url.value, cst.SimpleString) and "?" not in url.value.value
    ):
        p.todo(rule, original, "httpx replaces a query string already in the URL when "
               "params= is given (requests appends): check the URL never carries one")
    if "cookies" in keywords:
        p.todo(rule, original, "per-request cookies are deprecated in httpx; set them "
               "on the client")
    auth = keywords.get("auth")
    if auth is not None and not isinstance(auth.value, cst.Tuple):
        p.todo(rule, original, "auth= object: requests auth classes are not httpx.Auth "
               "(HTTPBasicAuth → httpx.BasicAuth; custom AuthBase → httpx.Auth)")
    timeout = keywords.pop("timeout", None)
    out += [arg.with_changes(comma=cst.MaybeSentinel.DEFAULT) for arg in keywords.values()]
    if timeout is None and requests_client:
        pass  # the client's default is requests' own: no timeout
    elif timeout is None:
        p.todo(rule, original, "requests had no timeout here (it waits forever); "
               "timeout=None keeps that, choose a bound")
        out.append(kw("timeout", cst.Name("None")))
    elif isinstance(timeout.value, cst.Tuple) and len(timeout.value.elements) == 2:
        connect, read = (e.value for e in timeout.value.elements)
        p.need_import("httpx")
        out.append(kw("timeout", cst.Call(cst.parse_expression("httpx.Timeout"), [
            kw("connect", connect), kw("read", read), kw("write", read), kw("pool", read)])))
    else:
        out.append(timeout.with_changes(comma=cst.MaybeSentinel.DEFAULT))
    out.append(kw("follow_redirects", follow.value if follow is not None
                  else cst.Name("False" if request.verb == "head" else "True")))
    has_body = any(k in keywords for k in ("data", "json", "content", "files"))
    if streamed or request.method is not None or (has_body and request.verb in _BODYLESS):
        verb_arg = (request.method if request.method is not None
                    else cst.SimpleString(f'"{request.verb.upper()}"'))
        return ("stream" if streamed else "request"), [cst.Arg(verb_arg), *out]
    return request.verb, out
