"""Laws of ``SlidingWindow`` (a comonad) and of the window reducer against the full history."""

from __future__ import annotations

from collections.abc import Callable

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeflow.domain.json import Json
from pipeflow.domain.windows import (
    AGGREGATE_NAMES,
    AGGREGATES,
    AggregateName,
    CountSize,
    Point,
    SlidingWindow,
    TimeSize,
    WindowSize,
    WindowState,
    sliding,
    step,
    trailing,
    windowed,
)


@st.composite
def windows(draw: st.DrawFn) -> SlidingWindow[int]:
    values = draw(st.lists(st.integers(-50, 50), min_size=1, max_size=12))
    focus = draw(st.integers(0, len(values) - 1))
    return SlidingWindow(tuple(values), focus)


# Functions of a window (co-Kleisli arrows) that look at the focus, its neighbours and the length,
# so the laws are checked against arrows that really depend on the position.
window_fns: st.SearchStrategy[Callable[[SlidingWindow[int]], int]] = st.sampled_from(
    [
        lambda w: w.extract(),
        lambda w: sum(w.values[: w.focus + 1]),
        lambda w: w.focus * 7 - w.extract(),
        lambda w: w.values[w.focus - 1] if w.focus else -1,
        lambda w: max(w.values[w.focus :]),
        lambda w: len(w.values) + w.extract() ** 2,
    ]
)

finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
numbers = st.one_of(st.integers(-1000, 1000), finite)
times = st.one_of(st.integers(0, 100).map(float), st.floats(0, 100, allow_nan=False))

sizes: st.SearchStrategy[WindowSize] = st.one_of(
    st.builds(CountSize, st.integers(1, 6)),
    st.builds(TimeSize, st.one_of(st.sampled_from([0.5, 1.0, 10.0, 30.0]), st.floats(0.001, 50))),
)


@st.composite
def histories(draw: st.DrawFn) -> tuple[WindowSize, list[Point]]:
    size = draw(sizes)
    # Time windows get a time on every point (the function dead-letters the rest); count windows
    # may have untimed points. Times are not sorted: late events must obey the law too.
    time_st = times if isinstance(size, TimeSize) else st.one_of(st.none(), times)
    points = draw(st.lists(st.builds(Point, numbers, time_st), min_size=1, max_size=25))
    return size, points


@settings(max_examples=150)
@given(windows())
def test_left_identity_extend_extract(w: SlidingWindow[int]) -> None:
    assert w.extend(lambda x: x.extract()) == w


@settings(max_examples=150)
@given(windows(), window_fns)
def test_extract_after_extend_applies_f(
    w: SlidingWindow[int], f: Callable[[SlidingWindow[int]], int]
) -> None:
    assert w.extend(f).extract() == f(w)


@settings(max_examples=150)
@given(windows(), window_fns, window_fns)
def test_extend_is_associative(
    w: SlidingWindow[int], f: Callable[[SlidingWindow[int]], int], g: Callable[[SlidingWindow[int]], int]
) -> None:
    assert w.extend(f).extend(g) == w.extend(lambda x: g(x.extend(f)))


@settings(max_examples=100)
@given(windows())
def test_duplicate_laws(w: SlidingWindow[int]) -> None:
    assert w.duplicate().extract() == w
    assert w.duplicate().map(lambda x: x.extract()) == w
    assert w.duplicate().duplicate() == w.duplicate().map(lambda x: x.duplicate())


@settings(max_examples=100)
@given(windows(), window_fns)
def test_extend_is_map_after_duplicate(w: SlidingWindow[int], f: Callable[[SlidingWindow[int]], int]) -> None:
    assert w.extend(f) == w.duplicate().map(f)


def _fold(size: WindowSize, points: list[Point]) -> list[WindowState]:
    states, state = [], WindowState()
    for p in points:
        state = step(size, state, p)
        states.append(state)
    return states


@settings(max_examples=200)
@given(histories())
def test_reducer_state_is_the_trailing_window_of_the_full_history(
    history: tuple[WindowSize, list[Point]],
) -> None:
    size, points = history
    w = sliding(points)
    assert w is not None
    assert [s.points for s in _fold(size, points)] == list(w.extend(trailing(size)).values)


@settings(max_examples=200)
@given(histories(), st.sampled_from(AGGREGATE_NAMES))
def test_runtime_aggregate_equals_extend_at_every_position(
    history: tuple[WindowSize, list[Point]], name: AggregateName
) -> None:
    size, points = history
    agg = AGGREGATES[name]
    w = sliding(points)
    assert w is not None
    runtime: list[Json] = [agg(s.points) for s in _fold(size, points)]
    assert runtime == list(w.extend(windowed(size, agg)).values)


@settings(max_examples=100)
@given(histories())
def test_count_state_is_bounded_and_keeps_the_focus_last(history: tuple[WindowSize, list[Point]]) -> None:
    size, points = history
    for p, s in zip(points, _fold(size, points), strict=True):
        assert s.points[-1] is p
        if isinstance(size, CountSize):
            assert len(s.points) <= size.count
        else:
            newest = max(q.time for q in s.points if q.time is not None)
            assert all(q.time is not None and q.time > newest - size.seconds for q in s.points[:-1])
