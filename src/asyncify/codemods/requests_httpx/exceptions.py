"""ASY202: ``except requests.…`` in async code → the httpx exceptions that are raised in the
same situations (semantics.md §1a), never by name: ``requests.HTTPError`` (raised by
``raise_for_status``) is ``httpx.HTTPStatusError``, not ``httpx.HTTPError`` (the base of
everything)."""

from __future__ import annotations

import libcst as cst

from .._rule import Example, Rule, register
from ._tries import CONVERTED, KEPT, guards, note

MAPPING: dict[str, tuple[str, ...]] = {
    "RequestException": ("httpx.HTTPError", "httpx.InvalidURL", "httpx.StreamError",
                         "json.JSONDecodeError"),
    "HTTPError": ("httpx.HTTPStatusError",),
    "ConnectionError": ("httpx.NetworkError", "httpx.ConnectTimeout", "httpx.ProxyError",
                        "httpx.RemoteProtocolError"),
    "Timeout": ("httpx.TimeoutException",),
    "ConnectTimeout": ("httpx.ConnectTimeout",),
    "ReadTimeout": ("httpx.ReadTimeout",),
    "SSLError": ("httpx.ConnectError",),
    "ProxyError": ("httpx.ProxyError",),
    "TooManyRedirects": ("httpx.TooManyRedirects",),
    "MissingSchema": ("httpx.UnsupportedProtocol",),
    "InvalidSchema": ("httpx.UnsupportedProtocol",),
    "InvalidURL": ("httpx.InvalidURL",),
    "ChunkedEncodingError": ("httpx.RemoteProtocolError",),
    "ContentDecodingError": ("httpx.DecodingError",),
    "JSONDecodeError": ("json.JSONDecodeError",),
    "StreamConsumedError": ("httpx.StreamConsumed",),
}
_WITHOUT_RESPONSE = {"RequestException", "ConnectionError", "Timeout", "ConnectTimeout",
                     "ReadTimeout", "SSLError", "ProxyError", "TooManyRedirects"}


def _requests_name(qualified: set[str]) -> str | None:
    for name in qualified:
        module, _, leaf = name.rpartition(".")
        if module in ("requests", "requests.exceptions") and leaf in MAPPING:
            return leaf
    return None


@register
class ExceptionMapping(Rule):
    id = "ASY202"
    title = "except clauses for requests exceptions inside async code catch the httpx ones"
    gate = frozenset({"requests"})
    triggers = frozenset({"except"})
    examples = (
        Example(
            "import requests\n\ndef f():\n    try:\n        pass\n"
            "    except requests.HTTPError:\n        pass\n",
            "import requests\n\ndef f():\n    try:\n        pass\n"
            "    except requests.HTTPError:\n        pass\n",
            why="sync code keeps requests",
        ),
        Example(
            "import requests\n\nasync def f():\n    try:\n        pass\n"
            "    except requests.HTTPError:\n        return 502\n"
            "    except (requests.Timeout, ValueError):\n        return 504\n",
            "import requests\nimport httpx\n\nasync def f():\n    try:\n        pass\n"
            "    except httpx.HTTPStatusError:\n        return 502\n"
            "    except (httpx.TimeoutException, ValueError):\n        return 504\n",
        ),
        Example(
            "from requests.exceptions import RequestException\n\nasync def f():\n"
            "    try:\n        pass\n    except RequestException as exc:\n"
            "        return exc.response\n",
            "from requests.exceptions import RequestException\nimport httpx\nimport json\n\n"
            "async def f():\n    try:\n        pass\n"
            "    # TODO[asyncify ASY202]: only httpx.HTTPStatusError has .response (requests "
            "set it to None for network errors): guard the access — "
            "https://asyncify.readthedocs.io/en/latest/rules/#asy202\n"
            "    except (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError, "
            "json.JSONDecodeError) as exc:\n        return exc.response\n",
        ),
    )

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.Call:
        # Code already moved to a worker thread still raises requests' exceptions.
        if self.p.in_async() and "asyncio.to_thread" in self.p.qualified(original.func):
            note(self.p, KEPT)
        return updated

    def leave_ExceptHandler(
        self, original: cst.ExceptHandler, updated: cst.ExceptHandler
    ) -> cst.ExceptHandler:
        if not self.p.in_async() or updated.type is None:
            return updated
        kinds = (
            [e.value for e in updated.type.elements]
            if isinstance(updated.type, cst.Tuple) else [updated.type]
        )
        if original.type is None:
            return updated
        originals = (
            [e.value for e in original.type.elements]
            if isinstance(original.type, cst.Tuple) else [original.type]
        )
        names: list[str] = []
        mapped_any = False
        loses_response = False
        for kind, source in zip(kinds, originals, strict=True):
            leaf = _requests_name(self.p.qualified(source))
            if leaf is None:
                names.append(cst.Module([]).code_for_node(kind))
                continue
            mapped_any = True
            loses_response |= leaf in _WITHOUT_RESPONSE
            names.extend(MAPPING[leaf])
        if not mapped_any:
            return updated
        guarded = self.p.parent()
        if guards(self.p, KEPT, guarded):
            if not guards(self.p, CONVERTED, guarded):
                return updated  # every requests call it guards is still a requests call
            # Calls of both kinds: catch what each raises.
            names = [cst.Module([]).code_for_node(k) for k in kinds] + [
                n for n in names if "." in n and n.split(".")[0] in ("httpx", "json")]
        for name in names:
            if "." in name and name.split(".")[0] in ("httpx", "json"):
                self.p.need_import(name.split(".")[0])
        unique = list(dict.fromkeys(names))
        new_type = cst.parse_expression(unique[0] if len(unique) == 1 else
                                        "(" + ", ".join(unique) + ")")
        self.p.changed(self.id)
        result = updated.with_changes(type=new_type)
        if loses_response and updated.name is not None:
            bound = updated.name.name
            if isinstance(bound, cst.Name) and f"{bound.value}.response" in (
                cst.Module([]).code_for_node(updated.body)
            ):
                result = self.p.marked(self.id, original, "only httpx.HTTPStatusError has "
                                       ".response (requests set it to None for network "
                                       "errors): guard the access", result)
        return result
