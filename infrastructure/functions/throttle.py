"""``throttle``: at most ``rate`` events per ``window_s`` seconds of event time per key; the rest dropped.

The rule is the pure ``domain.throttle``: a sliding span of event time per key, whose clock is the
newest event time seen (a late event counts at that time). This adapter reads the event time
(``time_field``: epoch seconds or an ISO 8601 string, UTC when it has no offset) and the key (an
expression, compiled as ``eval`` compiles them), and keeps per key the times of its admitted
events inside the span, in a ``deque``.

Memory: a key is forgotten as soon as ``window_s`` seconds of event time passed since its last
admitted event, so the state holds only the keys admitted in the last ``window_s`` seconds, each
with at most ``rate`` times. It is ``Stateful``: the runtime persists ``snapshot()`` and calls
``restore`` after a restart.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import final

import pydantic
from returns.result import Failure, Result, Success

from pipeflow.domain.errors import Problem, Problems, ValidationError
from pipeflow.domain.events import Event
from pipeflow.domain.filter import compile_expression
from pipeflow.domain.json import Json, JsonObject
from pipeflow.domain.paths import Path
from pipeflow.domain.results import Drop, FnResult, Pass
from pipeflow.domain.throttle import Limit, clocked, decide, idle
from pipeflow.infrastructure.functions.base import FunctionConfig, FunctionPlugin
from pipeflow.infrastructure.functions.checks import field_path
from pipeflow.infrastructure.functions.json_keys import canonical
from pipeflow.infrastructure.functions.on_failure import OnFailure, settle
from pipeflow.infrastructure.functions.throttle_state import SNAPSHOT_VERSION, keys_from
from pipeflow.infrastructure.functions.window import event_time


class ThrottleConfig(FunctionConfig):
    """Config of ``throttle``: ``rate`` events per ``window_s`` seconds per ``key`` (an expression)."""

    rate: int = pydantic.Field(ge=1, description="Events let through per window and key.")
    window_s: float = pydantic.Field(
        gt=0, allow_inf_nan=False, description="The sliding window, in seconds of event time."
    )
    key: str | None = pydantic.Field(
        default=None, description="An expression whose value is the key (none: one key for all events)."
    )
    time_field: str = pydantic.Field(
        default="ts", description="The event time: epoch seconds or ISO 8601 text (UTC without offset)."
    )
    on_failure: OnFailure = pydantic.Field(
        default="dead_letter", description="What to do with an event whose time is missing or unreadable."
    )


@final
@dataclass(frozen=True, slots=True)
class ThrottleSpec:
    """A checked ``throttle`` config: the limit, the compiled key and the time field's path."""

    limit: Limit
    key: Callable[[JsonObject], Json] | None
    time_field: Path
    time_name: str
    on_failure: OnFailure


def read_time(value: Json) -> float | None:
    """Epoch seconds from a number or an ISO 8601 string, or ``None`` (never raises).

    >>> read_time(1.5), read_time("1970-01-01T00:01:00Z"), read_time("soon"), read_time(10**400)
    (1.5, 60.0, None, None)
    """
    try:
        when = event_time(value)
        return None if when is None else float(when)
    except (OverflowError, ValueError):  # an integer or a date beyond floats
        return None


@final
class Throttle:
    """The ``throttle`` function: per key, the event times it admitted in the current span."""

    __slots__ = ("_keys", "_mark", "_reason", "spec")

    def __init__(self, spec: ThrottleSpec) -> None:
        self.spec = spec
        self._keys: OrderedDict[str, deque[float]] = OrderedDict()  # by last admission, oldest first
        self._mark: float | None = None
        limit = spec.limit
        self._reason = f"throttled: over {limit.rate} events per {limit.window_s:g}s for this key"

    def __call__(self, event: Event, /) -> FnResult:
        """Admit the event (``Pass``) or drop it; an event without a readable time goes by ``on_failure``."""
        spec = self.spec
        when = read_time(event.get(spec.time_field))
        if when is None:
            reason = f"throttle: {spec.time_name!r} is missing or not a time (ISO 8601 or epoch seconds)"
            return settle(spec.on_failure, event, reason)
        key = canonical(spec.key(event.fields) if spec.key is not None else None)
        at = self._mark = clocked(self._mark, when)
        self._forget(at)
        keys = self._keys
        kept = keys.get(key)
        if kept is None:
            kept = keys[key] = deque()
        decision = decide(spec.limit, kept, at)
        for _ in range(decision.expired):
            kept.popleft()
        if not decision.admitted:
            return Drop(self._reason)
        kept.append(decision.at)
        keys.move_to_end(key)
        return Pass(event)

    def _forget(self, mark: float) -> None:
        """Forget the keys that can no longer limit anything (they are first: admissions move keys last)."""
        keys, limit = self._keys, self.spec.limit
        while keys:
            oldest = next(iter(keys))
            if not idle(limit, keys[oldest], mark):
                return
            del keys[oldest]

    def keys_held(self) -> int:
        """How many keys the state holds now."""
        return len(self._keys)

    def snapshot(self) -> Json:
        """The newest time seen and each key's admitted times, keys in their order, as JSON."""
        keys: list[Json] = [[key, list(times)] for key, times in self._keys.items()]
        return {"version": SNAPSHOT_VERSION, "mark": self._mark, "keys": keys}

    def restore(self, state: Json) -> None:
        """Replace the state with one from ``snapshot``.

        :raises ValueError: the value is not a snapshot of this function.
        """
        mark, keys = keys_from(state)
        self._mark, self._keys = mark, OrderedDict((k, deque(ts)) for k, ts in keys)


def _key(text: str | None) -> Result[Callable[[JsonObject], Json] | None, Problems]:
    if text is None:
        return Success(None)
    compiled = compile_expression(text)
    if isinstance(compiled, ValidationError):
        return Failure((Problem("key", str(compiled)),))
    return Success(compiled)


def build(config: ThrottleConfig) -> Result[Throttle, Problems]:
    """Build ``throttle``; the key expression and the time field's path are checked here."""
    return Result.do(
        Throttle(
            ThrottleSpec(Limit(config.rate, config.window_s), key, path, config.time_field, config.on_failure)
        )
        for key in _key(config.key)
        for path in field_path(config.time_field, "time_field")
    )


plugin = FunctionPlugin(
    "throttle",
    ThrottleConfig,
    build,
    "At most `rate` events per `window_s` seconds of event time per key; the rest are dropped.",
)

__all__ = ["Throttle", "ThrottleConfig", "ThrottleSpec", "build", "plugin", "read_time"]
