"""``window``: sliding-window aggregates (avg, min, max, sum, count, rate) over a numeric field per group.

The arithmetic is the pure reducer of ``domain.windows``; this adapter reads the value, the event
time and the group key from each event, keeps one ``WindowState`` per group, and writes the
aggregates back. It is ``Stateful``: the runtime persists ``snapshot()`` and calls ``restore``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Annotated, final

import orjson
import pydantic
from returns.result import Result

from pipeflow.domain.errors import Problems, ValidationError
from pipeflow.domain.events import Event
from pipeflow.domain.json import Json
from pipeflow.domain.parsers.timestamp import epoch_seconds
from pipeflow.domain.paths import Path
from pipeflow.domain.results import FnResult, FunctionFailed, Pass
from pipeflow.domain.windows import (
    AGGREGATES,
    AggregateName,
    CountSize,
    Point,
    TimeSize,
    WindowSize,
    WindowState,
    parse_size,
    step,
)
from pipeflow.infrastructure.functions.base import FunctionConfig, FunctionPlugin
from pipeflow.infrastructure.functions.checks import collect, field_path

SNAPSHOT_VERSION = 1


def _size_text(size: WindowSize) -> int | str:
    """The size as a user writes it: ``3`` or ``"60s"`` (so a config round-trips)."""
    if isinstance(size, CountSize):
        return size.count
    seconds = size.seconds
    return f"{int(seconds)}s" if seconds == int(seconds) else f"{seconds}s"


def _size(raw: Json) -> WindowSize:
    size = parse_size(raw)
    if isinstance(size, ValidationError):
        raise ValueError(size.problems[0].message)  # pydantic reports it at ``size``
    return size


class WindowConfig(FunctionConfig):
    """Config of ``window``."""

    field: str = pydantic.Field(
        description="The numeric field aggregated (a missing or non-numeric value passes, not counted)."
    )
    size: Annotated[
        WindowSize,
        pydantic.PlainValidator(_size, json_schema_input_type=int | str),
        pydantic.PlainSerializer(_size_text, return_type=int | str),
    ] = pydantic.Field(
        description='The window: a count of events (`3`) or an event-time span (`"500ms"`, `"60s"`, `"1d"`).'
    )
    by: list[str] = pydantic.Field(
        default_factory=list, description="Fields whose values split the events into windows of their own."
    )
    emit: dict[str, AggregateName] = pydantic.Field(
        min_length=1, description="Output field to aggregate: `avg`, `min`, `max`, `sum`, `count` or `rate`."
    )
    time_field: str = pydantic.Field(
        "ts",
        description="The field with the event's time (ISO 8601 text or epoch seconds), for time windows.",
    )


@final
@dataclass(frozen=True, slots=True)
class WindowSpec:
    """A checked ``window`` config: parsed paths and size."""

    field: Path
    size: WindowSize
    by: tuple[Path, ...]
    emit: tuple[tuple[Path, AggregateName], ...]
    time_field: Path
    time_name: str


def number(value: Json) -> float | None:
    """The value as a finite number, or ``None`` (booleans and strings are not numbers)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value if math.isfinite(value) else None


@final
class Window:
    """The ``window`` function: one ``WindowState`` per group, mutated only through ``step``."""

    __slots__ = ("_groups", "spec")

    def __init__(self, spec: WindowSpec) -> None:
        self.spec = spec
        self._groups: dict[bytes, tuple[list[Json], WindowState]] = {}

    def __call__(self, event: Event, /) -> FnResult:
        """Add the event's value to its group's window and set each ``emit`` field."""
        spec = self.spec
        value = number(event.get(spec.field))
        if value is None:
            return Pass(event)  # documented: missing or non-numeric values pass unchanged
        when = epoch_seconds(event.get(spec.time_field))
        if when is None and isinstance(spec.size, TimeSize):
            raise FunctionFailed(
                f"window: {spec.time_name!r} is missing or not a time (ISO 8601 or epoch seconds)"
            )
        key_values: list[Json] = [event.get(p) for p in spec.by]
        key = orjson.dumps(key_values, option=orjson.OPT_SORT_KEYS)
        held = self._groups.get(key)
        state = step(spec.size, held[1] if held else WindowState(), Point(value, when))
        self._groups[key] = (key_values, state)
        out = event
        for path, name in spec.emit:
            out = out.with_field(path, AGGREGATES[name](state.points))
        return Pass(out)

    def snapshot(self) -> Json:
        """Every group's key values and window points, as JSON."""
        groups: list[Json] = [
            {"key": list(values), "points": [[p.value, p.time] for p in state.points]}
            for values, state in self._groups.values()
        ]
        return {"version": SNAPSHOT_VERSION, "groups": groups}

    def restore(self, state: Json) -> None:
        """Replace every group with the ones in a ``snapshot``.

        :raises ValueError: the value is not a snapshot of this function.
        """
        self._groups = _groups_from(state)


def _groups_from(state: Json) -> dict[bytes, tuple[list[Json], WindowState]]:
    if not isinstance(state, dict) or state.get("version") != SNAPSHOT_VERSION:
        raise ValueError(f"not a window snapshot (version {SNAPSHOT_VERSION})")
    groups = state.get("groups")
    if not isinstance(groups, list):
        raise ValueError("window snapshot: 'groups' is not a list")
    out: dict[bytes, tuple[list[Json], WindowState]] = {}
    for group in groups:
        if not isinstance(group, dict):
            raise ValueError("window snapshot: a group is not an object")
        key, raw_points = group.get("key"), group.get("points")
        if not isinstance(key, list) or not isinstance(raw_points, list):
            raise ValueError("window snapshot: a group needs 'key' and 'points' lists")
        out[orjson.dumps(key, option=orjson.OPT_SORT_KEYS)] = (
            key,
            WindowState(tuple(map(_point, raw_points))),
        )
    return out


def _point(raw: Json) -> Point:
    if isinstance(raw, list) and len(raw) == 2:
        value, when = number(raw[0]), raw[1]
        if value is not None and (when is None or number(when) is not None):
            return Point(value, number(when))
    raise ValueError(f"window snapshot: not a point: {raw!r}")


def _emitted(out: str, name: AggregateName) -> Result[tuple[Path, AggregateName], Problems]:
    return field_path(out, f"emit.{out}").map(lambda path: (path, name))


def build(config: WindowConfig) -> Result[Window, Problems]:
    """Build ``window`` from its config (size, paths and aggregate names are checked here)."""
    return Result.do(
        Window(WindowSpec(field, config.size, by, emit, time_field, config.time_field))
        for field in field_path(config.field)
        for by in collect(field_path(p, f"by[{i}]") for i, p in enumerate(config.by))
        for emit in collect(_emitted(out, name) for out, name in config.emit.items())
        for time_field in field_path(config.time_field, "time_field")
    )


plugin = FunctionPlugin(
    "window",
    WindowConfig,
    build,
    "Sliding-window aggregates (avg, min, max, sum, count, rate) over a numeric field per group.",
)

__all__ = [
    "SNAPSHOT_VERSION",
    "Window",
    "WindowConfig",
    "WindowSpec",
    "build",
    "number",
    "plugin",
]
