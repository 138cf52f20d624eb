"""Sliding windows: a comonad over a finite history, and the small state the runtime folds.

``SlidingWindow[T]`` is a non-empty sequence with one position in focus (the store comonad on a
zipper): ``extract`` reads the focus, ``extend(f)`` runs ``f`` on the window focused at every
position. A moving aggregate is a function of a window, so the moving average at every position
is ``w.extend(windowed(size, avg))``.

The runtime cannot keep the whole history. ``step`` folds one point at a time into a
``WindowState`` holding exactly the trailing window of the newest point, and the law
(``tests/property/test_window_laws.py``) is that this fold yields, at every position, what
``extend(trailing(size))`` yields over the full history.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, Literal, TypeAlias, TypeVar, assert_never, final, get_args

from pipeflow.domain.errors import ValidationError, problems
from pipeflow.domain.json import Json

T = TypeVar("T")
U = TypeVar("U")


@final
@dataclass(frozen=True, slots=True)
class SlidingWindow(Generic[T]):
    """A finite, non-empty sequence of values with one position in focus (build it with ``sliding``)."""

    values: tuple[T, ...]
    focus: int

    def __post_init__(self) -> None:
        if not 0 <= self.focus < len(self.values):
            raise ValueError(f"focus {self.focus} is outside 0..{len(self.values) - 1}")  # a bug

    def extract(self) -> T:
        """The value in focus."""
        return self.values[self.focus]

    def seek(self, position: int) -> SlidingWindow[T]:
        """The same values focused at ``position``."""
        return SlidingWindow(self.values, position)

    def extend(self, f: Callable[[SlidingWindow[T]], U]) -> SlidingWindow[U]:
        """``f`` applied to the window focused at every position, keeping this focus.

        >>> sliding([1, 2, 3]).extend(lambda w: sum(w.values[: w.focus + 1])).values
        (1, 3, 6)
        """
        return SlidingWindow(tuple(f(self.seek(i)) for i in range(len(self.values))), self.focus)

    def duplicate(self) -> SlidingWindow[SlidingWindow[T]]:
        """The window of every refocusing of this window (``extend`` of the identity)."""
        return self.extend(lambda w: w)

    def map(self, f: Callable[[T], U]) -> SlidingWindow[U]:
        """``f`` applied to every value (the functor), keeping the focus."""
        return SlidingWindow(tuple(f(v) for v in self.values), self.focus)


def sliding(values: Sequence[T], focus: int | None = None) -> SlidingWindow[T] | None:
    """The smart constructor: ``values`` focused at ``focus`` (default the last), or ``None``.

    >>> sliding([1, 2], 1).extract(), sliding([]), sliding([1], 3)
    (2, None, None)
    """
    at = len(values) - 1 if focus is None else focus
    return SlidingWindow(tuple(values), at) if 0 <= at < len(values) else None


@final
@dataclass(frozen=True, slots=True)
class Point:
    """One observation: a number and, when known, its event time in epoch seconds."""

    value: float
    time: float | None = None


@final
@dataclass(frozen=True, slots=True)
class CountSize:
    """A window of the last ``count`` points, the one in focus included."""

    count: int


@final
@dataclass(frozen=True, slots=True)
class TimeSize:
    """A window of the points less than ``seconds`` of event time older than the newest time seen."""

    seconds: float


WindowSize: TypeAlias = CountSize | TimeSize
"""How far a window reaches back: a count of points or a span of event time."""

_UNITS: Mapping[str, float] = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")


def parse_size(raw: Json) -> WindowSize | ValidationError:
    """A positive count (``3``) or a duration of event time (``"60s"``, ``"5m"``, ``"500ms"``).

    >>> parse_size(3), parse_size("5m")
    (CountSize(count=3), TimeSize(seconds=300.0))
    >>> str(parse_size("soon"))
    "size: expected a positive count or a duration such as '60s' or '5m', got 'soon'"
    """
    if isinstance(raw, int) and not isinstance(raw, bool) and raw > 0:
        return CountSize(raw)
    if isinstance(raw, str) and (m := _DURATION.fullmatch(raw.strip())):
        seconds = float(m.group(1)) * _UNITS[m.group(2)]
        if seconds > 0 and math.isfinite(seconds):
            return TimeSize(seconds)
    return problems(("size", f"expected a positive count or a duration such as '60s' or '5m', got {raw!r}"))


def _keep(size: WindowSize, before: tuple[Point, ...], point: Point) -> tuple[Point, ...]:
    """The trailing window of ``point``, given the trailing window of the point before it."""
    match size:
        case CountSize(count):
            return (*before[max(0, len(before) - count + 1) :], point)
        case TimeSize(seconds):
            # The horizon follows the newest event time seen, so a late event is aggregated with
            # the current span (and itself) and the state stays bounded by that span.
            mark = max((p.time for p in (*before, point) if p.time is not None), default=None)
            if mark is None:
                return (point,)
            horizon = mark - seconds
            return (*(p for p in before if p.time is not None and p.time > horizon), point)
        case _:
            assert_never(size)


def trailing(size: WindowSize) -> Callable[[SlidingWindow[Point]], tuple[Point, ...]]:
    """The points of the window ending at the focus, oldest first, the focus last.

    This is the definition over the full history; ``step`` must agree with it (the law).

    >>> trailing(CountSize(2))(sliding([Point(1), Point(2), Point(3)], 1))
    (Point(value=1, time=None), Point(value=2, time=None))
    >>> [p.value for p in trailing(TimeSize(10))(sliding([Point(1, 0.0), Point(2, 5.0), Point(3, 12.0)]))]
    [2, 3]
    """

    def window_of(w: SlidingWindow[Point]) -> tuple[Point, ...]:
        match size:
            case CountSize(count):
                return w.values[max(0, w.focus - count + 1) : w.focus + 1]
            case TimeSize(seconds):
                seen, focused = w.values[: w.focus], w.extract()
                mark = max((p.time for p in (*seen, focused) if p.time is not None), default=None)
                if mark is None:
                    return (focused,)
                return (*(p for p in seen if p.time is not None and p.time > mark - seconds), focused)
            case _:
                assert_never(size)

    return window_of


@final
@dataclass(frozen=True, slots=True)
class WindowState:
    """What a group keeps between events: exactly the trailing window of its newest point."""

    points: tuple[Point, ...] = ()


def step(size: WindowSize, state: WindowState, point: Point) -> WindowState:
    """The reducer: the state after ``point``, whose ``points`` are that point's window.

    >>> step(CountSize(2), WindowState((Point(1), Point(2))), Point(3)).points
    (Point(value=2, time=None), Point(value=3, time=None))
    """
    return WindowState(_keep(size, state.points, point))


AggregateName: TypeAlias = Literal["avg", "min", "max", "sum", "count", "rate"]
"""The aggregates a ``window`` can emit."""


def _sum(points: Sequence[Point]) -> Json:
    return sum(p.value for p in points) if points else None


def _avg(points: Sequence[Point]) -> Json:
    return sum(p.value for p in points) / len(points) if points else None


def _min(points: Sequence[Point]) -> Json:
    return min(p.value for p in points) if points else None


def _max(points: Sequence[Point]) -> Json:
    return max(p.value for p in points) if points else None


def _count(points: Sequence[Point]) -> Json:
    return len(points)


def rate(points: Sequence[Point]) -> Json:
    """Change per second from the earliest to the latest timed point; null without two distinct times.

    >>> rate([Point(10, 0.0), Point(40, 10.0)]), rate([Point(1, 5.0)]), rate([Point(1, 5.0), Point(2, 5.0)])
    (3.0, None, None)
    """
    timed = [(p.time, i, p.value) for i, p in enumerate(points) if p.time is not None]
    if len(timed) < 2:
        return None
    (t0, _, v0), (t1, _, v1) = min(timed), max(timed)
    return (v1 - v0) / (t1 - t0) if t1 != t0 else None


AGGREGATES: Mapping[AggregateName, Callable[[Sequence[Point]], Json]] = {
    "avg": _avg,
    "min": _min,
    "max": _max,
    "sum": _sum,
    "count": _count,
    "rate": rate,
}
"""Each aggregate as a function of the points of a window (null for no points)."""

AGGREGATE_NAMES: tuple[AggregateName, ...] = get_args(AggregateName)
"""The aggregate names, in their documented order."""


def windowed(
    size: WindowSize, aggregate: Callable[[Sequence[Point]], Json]
) -> Callable[[SlidingWindow[Point]], Json]:
    """An aggregate as a function of a window: ``w.extend(windowed(size, avg))`` is the moving average.

    >>> w = sliding([Point(1), Point(3), Point(5)])
    >>> w.extend(windowed(CountSize(2), AGGREGATES["avg"])).values
    (1.0, 2.0, 4.0)
    """
    window_of = trailing(size)
    return lambda w: aggregate(window_of(w))


__all__ = [
    "AGGREGATES",
    "AGGREGATE_NAMES",
    "AggregateName",
    "CountSize",
    "Point",
    "SlidingWindow",
    "TimeSize",
    "WindowSize",
    "WindowState",
    "parse_size",
    "rate",
    "sliding",
    "step",
    "trailing",
    "windowed",
]
