"""``throttle``: at most ``rate`` events per ``window_s`` seconds of event time per key; the rest dropped.

The rule is the pure ``domain.throttle``: a sliding span of event time per key, whose clock is the
newest event time of that key (a little late event counts at it; a key whose time goes back
further than the window starts over). This adapter reads the event time (``time_field``: epoch
seconds or an ISO 8601 string, UTC when it has no offset) and the key (an expression, compiled as
``eval`` compiles them), and keeps per key its clock and the times of its admitted events inside
the span, in a ``deque``.

Memory: at most ``max_keys`` keys, each with at most ``rate`` times; past that, the key that has
gone longest without an event is forgotten (its next event starts it over). It is ``Stateful``:
the runtime persists ``snapshot()`` and calls ``restore`` after a restart.
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
from pipeflow.domain.parsers.timestamp import epoch_seconds
from pipeflow.domain.paths import Path
from pipeflow.domain.results import Drop, FnResult, Pass
from pipeflow.domain.throttle import Limit, decide
from pipeflow.infrastructure.functions.base import FunctionConfig, FunctionPlugin
from pipeflow.infrastructure.functions.checks import field_path
from pipeflow.infrastructure.functions.json_keys import canonical
from pipeflow.infrastructure.functions.on_failure import OnFailure, settle
from pipeflow.infrastructure.functions.throttle_state import SNAPSHOT_VERSION, keys_from


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
    max_keys: int = pydantic.Field(
        default=10_000, ge=1, description="Keys held at most (the one longest without an event goes first)."
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
    max_keys: int = 10_000


def read_time(value: Json) -> float | None:
    """Epoch seconds from a number or an ISO 8601 string, or ``None`` (never raises).

    >>> read_time(1.5), read_time("1970-01-01T00:01:00Z"), read_time("soon"), read_time(10**400)
    (1.5, 60.0, None, None)
    """
    try:
        when = epoch_seconds(value)
        return None if when is None else float(when)
    except (OverflowError, ValueError):  # an integer or a date beyond floats
        return None


@final
class _Key:
    """One key's state: its clock and the times of its admitted events in the current span."""

    __slots__ = ("clock", "kept")

    def __init__(self, clock: float | None = None, kept: deque[float] | None = None) -> None:
        self.clock = clock
        self.kept: deque[float] = deque() if kept is None else kept


@final
class Throttle:
    """The ``throttle`` function: per key, its clock and the event times it admitted in the span."""

    __slots__ = ("_keys", "_reason", "spec")

    def __init__(self, spec: ThrottleSpec) -> None:
        self.spec = spec
        self._keys: OrderedDict[str, _Key] = OrderedDict()  # by last event, oldest first
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
        keys = self._keys
        state = keys.get(key)
        if state is None:
            state = keys[key] = _Key()
            if len(keys) > spec.max_keys:
                keys.popitem(last=False)
        else:
            keys.move_to_end(key)
        kept = state.kept
        decision = decide(spec.limit, kept, state.clock, when)
        state.clock = decision.at
        for _ in range(decision.expired):
            kept.popleft()
        if not decision.admitted:
            return Drop(self._reason)
        kept.append(decision.at)
        return Pass(event)

    def keys_held(self) -> int:
        """How many keys the state holds now."""
        return len(self._keys)

    def snapshot(self) -> Json:
        """Each key with its clock and admitted times, the key longest without an event first, as JSON."""
        keys: list[Json] = [[key, s.clock, list(s.kept)] for key, s in self._keys.items()]
        return {"version": SNAPSHOT_VERSION, "keys": keys}

    def restore(self, state: Json) -> None:
        """Replace the state with one from ``snapshot`` (the ``max_keys`` most recent keys of it).

        :raises ValueError: the value is not a snapshot of this function.
        """
        keys = keys_from(state)[-self.spec.max_keys :]
        self._keys = OrderedDict((k, _Key(clock, deque(ts))) for k, clock, ts in keys)


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
            ThrottleSpec(
                Limit(config.rate, config.window_s),
                key,
                path,
                config.time_field,
                config.on_failure,
                config.max_keys,
            )
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
