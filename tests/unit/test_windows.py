"""``domain.windows``: the window value, sizes, the trailing window, aggregates and the reducer."""

from __future__ import annotations

import pytest

from pipeflow.domain.errors import ValidationError
from pipeflow.domain.windows import (
    AGGREGATE_NAMES,
    AGGREGATES,
    CountSize,
    Point,
    SlidingWindow,
    TimeSize,
    WindowState,
    parse_size,
    rate,
    sliding,
    step,
    trailing,
    windowed,
)


def pts(*values: float) -> list[Point]:
    return [Point(v) for v in values]


def timed(*pairs: tuple[float, float]) -> list[Point]:
    return [Point(v, t) for v, t in pairs]


def test_extract_reads_the_focus_and_seek_moves_it() -> None:
    w = SlidingWindow((10, 20, 30), 1)
    assert w.extract() == 20
    assert w.seek(2).extract() == 30
    assert w.seek(0).values == w.values


def test_a_window_needs_its_focus_inside_the_values() -> None:
    with pytest.raises(ValueError, match="focus 3"):
        SlidingWindow((1, 2), 3)
    with pytest.raises(ValueError, match="focus 0"):
        SlidingWindow((), 0)


def test_sliding_is_the_smart_constructor() -> None:
    assert sliding([]) is None
    assert sliding([1, 2], -1) is None
    assert sliding([1, 2]) == SlidingWindow((1, 2), 1)
    assert sliding([1, 2], 0) == SlidingWindow((1, 2), 0)


def test_extend_keeps_the_focus_and_duplicate_refocuses() -> None:
    w = SlidingWindow((1, 2, 3), 0)
    assert w.extend(lambda x: x.focus * 10) == SlidingWindow((0, 10, 20), 0)
    assert [d.focus for d in w.duplicate().values] == [0, 1, 2]
    assert w.map(str) == SlidingWindow(("1", "2", "3"), 0)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (3, CountSize(3)),
        (1, CountSize(1)),
        ("60s", TimeSize(60.0)),
        ("5m", TimeSize(300.0)),
        ("2h", TimeSize(7200.0)),
        ("1d", TimeSize(86400.0)),
        ("500ms", TimeSize(0.5)),
        ("1.5s", TimeSize(1.5)),
    ],
)
def test_parse_size_reads_counts_and_durations(raw: int | str, expected: object) -> None:
    assert parse_size(raw) == expected


@pytest.mark.parametrize("raw", [0, -1, True, "0s", "60", "s", "5 minutes", "1e3s", 2.5, None])
def test_parse_size_refuses_everything_else(raw: int | str | float | bool | None) -> None:
    found = parse_size(raw)
    assert isinstance(found, ValidationError)
    assert found.problems[0].where == "size"


def test_count_window_is_the_last_n_points_including_the_focus() -> None:
    w = sliding(pts(1, 2, 3, 4, 5))
    assert w is not None
    got = w.extend(trailing(CountSize(3))).values
    assert [[p.value for p in sel] for sel in got] == [[1], [1, 2], [1, 2, 3], [2, 3, 4], [3, 4, 5]]


def test_time_window_keeps_points_less_than_size_older_than_the_focus() -> None:
    w = sliding(timed((1, 0.0), (2, 30.0), (3, 59.0), (4, 60.0), (5, 120.0)))
    assert w is not None
    got = w.extend(trailing(TimeSize(60))).values
    # 0.0 is exactly 60 s before 60.0: out (the span is half-open, (t - 60, t]).
    assert [[p.value for p in sel] for sel in got] == [[1], [1, 2], [1, 2, 3], [2, 3, 4], [5]]


def test_a_late_event_is_aggregated_with_the_newest_span_and_itself() -> None:
    w = sliding(timed((1, 100.0), (2, 110.0), (3, 20.0), (4, 115.0)))
    assert w is not None
    got = w.extend(trailing(TimeSize(30))).values
    assert [[p.value for p in sel] for sel in got] == [[1], [1, 2], [1, 2, 3], [1, 2, 4]]


def test_moving_average_is_extend_of_avg() -> None:
    w = sliding(pts(2, 4, 6, 8))
    assert w is not None
    assert w.extend(windowed(CountSize(2), AGGREGATES["avg"])).values == (2.0, 3.0, 5.0, 7.0)


def test_aggregates_over_one_window() -> None:
    points = timed((5, 0.0), (1, 2.0), (9, 4.0))
    got = {name: AGGREGATES[name](points) for name in AGGREGATE_NAMES}
    assert got == {"avg": 5.0, "min": 1, "max": 9, "sum": 15, "count": 3, "rate": 1.0}


def test_aggregates_of_no_points_are_null_except_count() -> None:
    assert {name: AGGREGATES[name]([]) for name in AGGREGATE_NAMES} == {
        "avg": None,
        "min": None,
        "max": None,
        "sum": None,
        "count": 0,
        "rate": None,
    }


def test_rate_goes_from_the_earliest_to_the_latest_time() -> None:
    assert rate(timed((10, 0.0), (70, 60.0))) == 1.0
    assert rate(timed((70, 60.0), (10, 0.0))) == 1.0  # arrival order does not matter
    assert rate(timed((10, 0.0), (4, 2.0))) == -3.0
    assert rate([Point(1, 0.0), Point(2), Point(5, 2.0)]) == 2.0  # untimed points are skipped


@pytest.mark.parametrize(
    "points",
    [[], [Point(1, 0.0)], [Point(1), Point(2)], [Point(1, 5.0), Point(9, 5.0)], [Point(1, 5.0), Point(2)]],
)
def test_rate_is_null_without_two_distinct_times(points: list[Point]) -> None:
    assert rate(points) is None


def test_step_keeps_only_what_the_next_event_needs() -> None:
    state = WindowState()
    for p in pts(1, 2, 3, 4):
        state = step(CountSize(2), state, p)
    assert state == WindowState((Point(3), Point(4)))
    state = WindowState()
    for p in timed((1, 0.0), (2, 5.0), (3, 11.0)):
        state = step(TimeSize(10), state, p)
    assert state == WindowState((Point(2, 5.0), Point(3, 11.0)))


def test_step_does_not_change_the_state_it_was_given() -> None:
    before = WindowState((Point(1),))
    after = step(CountSize(1), before, Point(2))
    assert before == WindowState((Point(1),))
    assert after == WindowState((Point(2),))
