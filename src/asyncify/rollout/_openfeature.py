"""OpenFeature both ways.

- :class:`AsyncifyProvider` exposes our flags to OpenFeature clients: a string flag per
  endpoint resolving to ``legacy``, ``shadow`` or ``async`` (boolean: "does async serve?"),
  the unit key being the evaluation context's ``targeting_key``. Local evaluation never does
  I/O, so the async resolvers are native.
- :class:`OpenFeatureDecider` lets a team already on OpenFeature (flagd, Unleash, …) keep its
  system: the router asks their client for the same string flag. OpenFeature evaluation never
  raises; its default (``legacy``) is what serves on any error.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from openfeature.evaluation_context import EvaluationContext
from openfeature.event import ProviderEventDetails
from openfeature.exception import ErrorCode
from openfeature.flag_evaluation import FlagResolutionDetails, FlagValueType, Reason
from openfeature.provider import AbstractProvider, Metadata

from ._decide import ASYNC, LEGACY, Decision, decide
from ._store import FlagStore

_REASONS = {
    "killed": Reason.DISABLED, "denied": Reason.TARGETING_MATCH,
    "allowed": Reason.TARGETING_MATCH, "bucket": Reason.SPLIT, "stage": Reason.STATIC,
    "retired": Reason.STATIC, "no-key": Reason.DEFAULT,
}  # fmt: skip


class AsyncifyProvider(AbstractProvider):
    """An OpenFeature provider over an asyncify flag store."""

    def __init__(self, store: FlagStore) -> None:
        super().__init__()
        self.store = store
        self._last: Any = None

    def get_metadata(self) -> Metadata:
        return Metadata(name="asyncify")

    def _variant(self, flag_key: str, context: EvaluationContext | None,
                 ) -> FlagResolutionDetails[str] | None:
        flags = self.store.current()
        if flags is not self._last:
            if self._last is not None:
                self.emit_provider_configuration_changed(ProviderEventDetails(
                    flags_changed=sorted(flags.flags) if flags is not None else None))
            self._last = flags
        if flags is None:
            return None
        flag = flags.get(flag_key)
        if flag is None:
            return FlagResolutionDetails("", ErrorCode.FLAG_NOT_FOUND,
                                         f"no asyncify flag {flag_key!r}", Reason.ERROR)
        decision = decide(flag, context.targeting_key if context else None)
        variant = "shadow" if decision.shadow else decision.variant
        return FlagResolutionDetails(variant, reason=_REASONS.get(decision.reason,
                                                                 Reason.UNKNOWN),
                                     variant=variant, flag_metadata={"stage": flag.stage.value})

    def resolve_string_details(self, flag_key: str, default_value: str,
                               evaluation_context: EvaluationContext | None = None,
                               ) -> FlagResolutionDetails[str]:
        found = self._variant(flag_key, evaluation_context)
        if found is None:
            return FlagResolutionDetails(default_value, reason=Reason.STALE)
        if found.error_code is not None:
            return FlagResolutionDetails(default_value, found.error_code, found.error_message,
                                         Reason.ERROR)
        return found

    async def resolve_string_details_async(
            self, flag_key: str, default_value: str,
            evaluation_context: EvaluationContext | None = None,
    ) -> FlagResolutionDetails[str]:
        return self.resolve_string_details(flag_key, default_value, evaluation_context)

    def resolve_boolean_details(self, flag_key: str, default_value: bool,
                                evaluation_context: EvaluationContext | None = None,
                                ) -> FlagResolutionDetails[bool]:
        found = self.resolve_string_details(flag_key, "", evaluation_context)
        if found.error_code is not None or not found.value:
            return FlagResolutionDetails(default_value, found.error_code, found.error_message,
                                         found.reason)
        return FlagResolutionDetails(found.value == ASYNC, reason=found.reason,
                                     variant=found.variant, flag_metadata=found.flag_metadata)

    async def resolve_boolean_details_async(
            self, flag_key: str, default_value: bool,
            evaluation_context: EvaluationContext | None = None,
    ) -> FlagResolutionDetails[bool]:
        return self.resolve_boolean_details(flag_key, default_value, evaluation_context)

    def _mismatch(self, default: Any) -> FlagResolutionDetails[Any]:
        return FlagResolutionDetails(default, ErrorCode.TYPE_MISMATCH,
                                     "asyncify flags are strings (or booleans)", Reason.ERROR)

    def resolve_integer_details(self, flag_key: str, default_value: int,
                                evaluation_context: EvaluationContext | None = None,
                                ) -> FlagResolutionDetails[int]:
        return self._mismatch(default_value)

    def resolve_float_details(self, flag_key: str, default_value: float,
                              evaluation_context: EvaluationContext | None = None,
                              ) -> FlagResolutionDetails[float]:
        return self._mismatch(default_value)

    def resolve_object_details(
            self, flag_key: str,
            default_value: Sequence[FlagValueType] | Mapping[str, FlagValueType],
            evaluation_context: EvaluationContext | None = None,
    ) -> FlagResolutionDetails[Sequence[FlagValueType] | Mapping[str, FlagValueType]]:
        return self._mismatch(default_value)


class OpenFeatureDecider:
    """A :data:`~asyncify.rollout.Decider` asking an OpenFeature client (any provider) for
    the endpoint's string flag: ``async`` serves async, ``shadow`` shadows, anything else
    (including every error) serves legacy."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def __call__(self, key: str, unit: str | None, scope: Mapping[str, Any]) -> Decision:
        context = EvaluationContext(targeting_key=unit, attributes={
            "method": scope.get("method", ""), "path": scope.get("path", "")})
        details = self.client.get_string_details(key, LEGACY, context)
        reason = str(details.reason or "unknown").lower()
        if details.value == ASYNC:
            return Decision(ASYNC, f"openfeature:{reason}")
        if details.value == "shadow":
            return Decision(LEGACY, f"openfeature:{reason}", shadow=True)
        return Decision(LEGACY, f"openfeature:{reason}")
