"""ASY201: ``requests.get(...)`` and friends in async code → ``await http_client().get(...)``
on the loop's shared ``httpx.AsyncClient``, with every default requests applied made explicit.

Kept exactly (semantics.md §1): redirects (``follow_redirects`` with requests' default for the
verb), no timeout when there was none (``timeout=None``, plus a TODO suggesting one), a
``(connect, read)`` tuple as ``httpx.Timeout`` with write/pool bounded too, ``params``/``data``
None-and-bool handling (``requests_params``), a GET with a body (``request("GET", ...)``).
Not guessed, left as a blocking call with a TODO: ``stream=True``, per-request ``verify``,
``cert``, ``proxies``, ``hooks``; TODO but converted: per-request ``cookies``, query strings
that ``params`` would replace, ``data=`` of unknown type, custom ``auth`` objects.
"""

from __future__ import annotations

import libcst as cst

from .._rule import Example, Rule, register

VERBS = ("get", "post", "put", "patch", "delete", "head", "options")
_POSITIONAL = {"get": ("params",), "post": ("data", "json"), "put": ("data",), "patch": ("data",)}
_CLIENT_ONLY = ("verify", "cert", "proxies", "hooks")
RESPONSES = "requests_httpx.responses"  # scratch key: (function, name) of httpx responses


def _kw(name: str, value: cst.BaseExpression) -> cst.Arg:
    return cst.Arg(keyword=cst.Name(name), value=value,
                   equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""),
                                         whitespace_after=cst.SimpleWhitespace("")))


def _is_literal_mapping(node: cst.BaseExpression) -> bool:
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


def _laid_out(original: cst.Call, args: list[cst.Arg]) -> list[cst.Arg]:
    """``args`` separated the way the original call separated its own (one per line stays
    one per line, a trailing comma stays)."""
    if len(original.args) < 2:
        return [a.with_changes(comma=cst.MaybeSentinel.DEFAULT) for a in args]
    separator = original.args[0].comma
    last = original.args[-1].comma
    return [
        *(a.with_changes(comma=separator) for a in args[:-1]),
        args[-1].with_changes(comma=last),
    ]


@register
class ModuleLevelCalls(Rule):
    id = "ASY201"
    title = (
        "requests.get()/post()/… inside async code become awaited calls on the shared "
        "httpx.AsyncClient, with requests' defaults made explicit"
    )
    gate = frozenset({"requests"})
    triggers = frozenset({*VERBS, "request"})
    converts = frozenset({f"requests.{verb}" for verb in (*VERBS, "request")})
    examples = (
        Example(
            "import requests\n\ndef rates():\n    return requests.get('http://fx/rates', timeout=2).json()\n",
            "import requests\n\ndef rates():\n    return requests.get('http://fx/rates', timeout=2).json()\n",
            why="sync code keeps requests (await propagation decides what turns async)",
        ),
        Example(
            "import requests\n\nasync def rates():\n"
            "    return requests.get('http://fx/rates', timeout=2).json()\n",
            "import requests\nfrom asyncify.compat import http_client\n\nasync def rates():\n"
            "    return (await http_client().get('http://fx/rates', timeout=2, "
            "follow_redirects=True)).json()\n",
        ),
        Example(
            "import requests\n\nasync def search(q, page=None):\n"
            "    r = requests.get('http://api/search', params={'q': q, 'page': page}, "
            "timeout=(1, 5))\n    return r.text\n",
            "import requests\nimport httpx\nfrom asyncify.compat import http_client, "
            "requests_params\n\nasync def search(q, page=None):\n"
            "    r = await http_client().get('http://api/search', params=requests_params("
            "{'q': q, 'page': page}), timeout=httpx.Timeout(connect=1, read=5, write=5, "
            "pool=5), follow_redirects=True)\n    return r.text\n",
        ),
        Example(
            "import requests\n\nasync def ping(url):\n    return requests.head(url).status_code\n",
            "import requests\nfrom asyncify.compat import http_client\n\nasync def ping(url):\n"
            "    # TODO[asyncify ASY201]: requests had no timeout here (it waits forever); "
            "timeout=None keeps that, choose a bound — "
            "https://asyncify.readthedocs.io/en/latest/rules/#asy201\n"
            "    return (await http_client().head(url, timeout=None, follow_redirects=False))"
            ".status_code\n",
        ),
        Example(
            "import requests\n\nasync def download(url):\n"
            "    return requests.get(url, stream=True, timeout=5)\n",
            "import requests\n\nasync def download(url):\n"
            "    # TODO[asyncify ASY201]: stream=True needs restructuring into async with "
            "client.stream(...) and async for; left as a blocking call — "
            "https://asyncify.readthedocs.io/en/latest/rules/#asy201\n"
            "    return requests.get(url, stream=True, timeout=5)\n",
        ),
    )

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        if not self.p.in_async():
            return updated
        verb = next((q.rpartition(".")[2] for q in self.p.qualified(original.func)
                     if q.rpartition(".")[0] in ("requests", "requests.api")
                     and q.rpartition(".")[2] in (*VERBS, "request")), None)
        if verb is None:
            return updated
        args = list(updated.args)
        method: cst.BaseExpression | None = None
        if verb == "request":
            if not args or args[0].keyword is not None:
                return updated
            method, args = args[0].value, args[1:]
        if not args or args[0].keyword is not None:
            return updated
        url, rest = args[0], args[1:]
        keywords: dict[str, cst.Arg] = {}
        for position, arg in enumerate(rest):
            if arg.keyword is None:
                names = _POSITIONAL.get(verb, ())
                if arg.star or position >= len(names):
                    return updated
                arg = _kw(names[position], arg.value)
            elif arg.star:
                self.p.todo(self.id, original, "**kwargs passed through: check them against "
                            "httpx (timeout, allow_redirects, verify…); left as a blocking call")
                return updated
            keywords[arg.keyword.value] = arg  # type: ignore[union-attr]
        for name in ("stream", *_CLIENT_ONLY):
            if name in keywords:
                why = ("stream=True needs restructuring into async with client.stream(...) "
                       "and async for" if name == "stream" else
                       f"{name}= is client-level in httpx (AsyncClient({name}=...))")
                self.p.todo(self.id, original, f"{why}; left as a blocking call")
                return updated
        return self._convert(original, verb, method, url, keywords)

    def _convert(
        self, original: cst.Call, verb: str, method: cst.BaseExpression | None,
        url: cst.Arg, keywords: dict[str, cst.Arg],
    ) -> cst.BaseExpression:
        p = self.p
        out: list[cst.Arg] = [url.with_changes(comma=cst.MaybeSentinel.DEFAULT)]
        follow = keywords.pop("allow_redirects", None)
        for name in ("params", "data"):
            arg = keywords.get(name)
            if arg is None:
                continue
            if isinstance(arg.value, cst.SimpleString | cst.ConcatenatedString) and name == "data":
                keywords[name] = _kw("content", arg.value)
                continue
            if not _is_literal_mapping(arg.value):
                p.need_import("asyncify.compat", "requests_params")
                wrapped = cst.Call(cst.Name("requests_params"), [cst.Arg(arg.value)])
                keywords[name] = _kw(name, wrapped)
                if name == "data":
                    p.todo(self.id, original, "data= of unknown type: requests_params keeps "
                           "dicts as requests sends them; str/bytes bodies want content=")
        if "params" in keywords and not (
            isinstance(url.value, cst.SimpleString) and "?" not in url.value.value
        ):
            p.todo(self.id, original, "httpx replaces a query string already in the URL when "
                   "params= is given (requests appends): check the URL never carries one")
        if "cookies" in keywords:
            p.todo(self.id, original, "per-request cookies are deprecated in httpx; set them "
                   "on the client")
        auth = keywords.get("auth")
        if auth is not None and not isinstance(auth.value, cst.Tuple):
            p.todo(self.id, original, "auth= object: requests auth classes are not httpx.Auth "
                   "(HTTPBasicAuth → httpx.BasicAuth; custom AuthBase → httpx.Auth)")
        timeout = keywords.pop("timeout", None)
        out += [arg.with_changes(comma=cst.MaybeSentinel.DEFAULT) for arg in keywords.values()]
        if timeout is None:
            p.todo(self.id, original, "requests had no timeout here (it waits forever); "
                   "timeout=None keeps that, choose a bound")
            out.append(_kw("timeout", cst.Name("None")))
        elif isinstance(timeout.value, cst.Tuple) and len(timeout.value.elements) == 2:
            connect, read = (e.value for e in timeout.value.elements)
            p.need_import("httpx")
            out.append(_kw("timeout", cst.Call(cst.parse_expression("httpx.Timeout"), [
                _kw("connect", connect), _kw("read", read), _kw("write", read),
                _kw("pool", read)])))
        else:
            out.append(timeout.with_changes(comma=cst.MaybeSentinel.DEFAULT))
        out.append(_kw("follow_redirects", follow.value if follow is not None
                       else cst.Name("False" if verb == "head" else "True")))
        has_body = any(k in keywords for k in ("data", "json", "content", "files"))
        client = cst.Call(cst.Name("http_client"), [])
        p.need_import("asyncify.compat", "http_client")
        if method is not None or (has_body and verb in ("get", "head", "options", "delete")):
            verb_arg = method if method is not None else cst.SimpleString(f'"{verb.upper()}"')
            out = [cst.Arg(verb_arg), *out]
            attribute = "request"
        else:
            attribute = verb
        call = cst.Call(cst.Attribute(client, cst.Name(attribute)), _laid_out(original, out),
                        whitespace_before_args=original.whitespace_before_args)
        parent = p.parent()
        if (
            isinstance(parent, cst.Assign) and parent.value is original
            and len(parent.targets) == 1 and isinstance(parent.targets[0].target, cst.Name)
        ):
            # ASY203 rewrites the response's requests-only attributes further down.
            p.scratch.setdefault(RESPONSES, set()).add(
                (p.qualname(), parent.targets[0].target.value))
        p.changed(self.id)
        return p.awaited(original, call)
