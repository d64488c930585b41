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
from ..propagation.keep import keep
from ._kwargs import VERBS, client_only_reason, httpx_arguments, laid_out, split_call
from ._tries import CONVERTED, KEPT, note

RESPONSES = "requests_httpx.responses"  # scratch key: (function, name) of httpx responses
STREAMING = "requests_httpx.streaming"  # ... of those read inside async with client.stream


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
        request = split_call(verb, list(updated.args))
        if request is None:
            return updated
        if isinstance(request, str):
            return self._keep(original, updated, request)
        why = ("stream=True needs restructuring into async with client.stream(...) and async "
               "for" if "stream" in request.keywords else client_only_reason(request.keywords))
        if why is not None:
            return self._keep(original, updated, why)
        p = self.p
        attribute, out = httpx_arguments(p, self.id, original, request)
        client = cst.Call(cst.Name("http_client"), [])
        p.need_import("asyncify.compat", "http_client")
        call = cst.Call(cst.Attribute(client, cst.Name(attribute)), laid_out(original, out),
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
        note(p, CONVERTED)
        return p.awaited(original, call)

    def _keep(self, original: cst.Call, updated: cst.Call, why: str) -> cst.Call:
        """Leave the blocking call (and, when propagation is deciding, its function sync)."""
        self.p.todo(self.id, original, f"{why}; left as a blocking call")
        keep(self.p, self.id, why)
        note(self.p, KEPT)
        return updated
