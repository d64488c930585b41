"""Rules tell await propagation which functions they could not convert completely.

The catalog says which *operations* a rule converts, but a rule may still leave one call site
as it was (a cursor block using ``mogrify``, a ``requests.Session`` that has no exact httpx
form, a parameter in a ``SET``): that call still blocks, so its function must stay sync
(semantics.md §0: a half-converted function is worse than a sync one). A rule calls
:func:`keep` where it leaves blocking code; the analysis runs the rules once on the functions
it would make async (:func:`asyncify._scope.settled_contexts`), collects these, and decides
again with them kept sync.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .._engine import Pass

KEPT = "asyncify.kept"
UNBRIDGEABLE = "asyncify.unbridgeable"
NOT_BRIDGED = "its body cannot run on the bridge"


def keep(p: Pass, rule: str, why: str) -> None:
    """The function being walked keeps blocking code (rule ``rule`` left it, because ``why``):
    it must stay sync, and so must its callers."""
    kept: dict[str, str] = p.scratch.setdefault(KEPT, {})
    name = p.qualname()
    if name:
        kept.setdefault(name, f"{rule} left blocking code in it: {why}")


def refuse(p: Pass, why: str) -> None:
    """The function being walked cannot run its body on the bridge (``shell``) because
    ``why``: it stays sync as a whole, and so do the functions it enters or iterates."""
    kept: dict[str, str] = p.scratch.setdefault(KEPT, {})
    name = p.qualname()
    if name:
        kept.setdefault(name, f"{NOT_BRIDGED}: {why}")


def kept(p: Pass) -> dict[str, str]:
    """What :func:`keep` recorded in this pass: function qualname → why it stays sync."""
    found: dict[str, str] = p.scratch.get(KEPT, {})
    return found


def unbridgeable(p: Pass, position: tuple[int, int]) -> None:
    """The call at ``position`` (of a function that became async) is entered with ``with`` or
    iterated by code that stays sync: the bridge cannot serve a context manager or a
    generator, so the callee must stay sync when that code is rewritten in place."""
    found: set[tuple[int, int]] = p.scratch.setdefault(UNBRIDGEABLE, set())
    found.add(position)


def unbridgeable_sites(p: Pass) -> set[tuple[int, int]]:
    """What :func:`unbridgeable` recorded in this pass."""
    found: set[tuple[int, int]] = p.scratch.get(UNBRIDGEABLE, set())
    return found
