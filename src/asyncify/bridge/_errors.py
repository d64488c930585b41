"""The bridge's errors: one branch of asyncify's exception hierarchy."""

from __future__ import annotations

from asyncify.errors import AsyncifyError


class BridgeError(AsyncifyError):
    """Base class of every error the bridge raises deliberately."""


class LaneFullError(BridgeError):
    """A lane with ``when_full="reject"`` had every worker busy and its queue at ``max_pending``."""


class BridgeTimeoutError(BridgeError, TimeoutError):
    """A bridged call did not finish within its ``timeout=``.

    It is also a :class:`TimeoutError`, so ``except TimeoutError`` catches it.
    """


class ReentryError(BridgeError):
    """Async code was called synchronously from a thread that runs an event loop.

    Blocking that thread to wait for the loop it runs would deadlock, so the bridge refuses.
    """


class BridgeClosedError(BridgeError):
    """The lane or loop a call needed was shut down before the call could finish."""


class BlockingCallError(BridgeError):
    """A blocking call ran on an event loop thread inside :func:`forbid_blocking`."""
