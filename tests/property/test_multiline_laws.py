"""Laws of multiline grouping (``domain.multiline.LineGroups``), over generated lines and chunkings."""

from __future__ import annotations

import itertools
import re

from hypothesis import given
from hypothesis import strategies as st

from pipeflow.domain.multiline import Grouped, LineGroups, MultilineMode, MultilineRule

LINE = st.sampled_from(["Exception: boom", "  at a.B(B.java:1)", "Caused by: x", "", "next", "\tat c"])
MODES: list[tuple[MultilineMode, str]] = [("start", r"^\S"), ("continuation", r"^(\s|Caused by:)")]


def _run(rule: MultilineRule, lines: list[str], chunks: list[int]) -> tuple[list[Grouped], list[int]]:
    """Feed ``lines`` (each ending in a newline) in chunks of the given sizes, flushing at the end;
    return the events and the safe offset after each chunk."""
    groups = LineGroups(rule, offset=0)
    events: list[Grouped] = []
    safe: list[int] = []
    at, k = 0, 0
    sizes = iter(chunks)
    while k < len(lines):
        size = max(1, next(sizes, len(lines)))
        for line in lines[k : k + size]:
            events.extend(groups.feed(line, at, at + len(line) + 1))
            at += len(line) + 1
        k += size
        safe.append(groups.safe_offset)
    events.extend(groups.flush())
    assert groups.safe_offset == at
    return events, safe


rules = st.builds(
    lambda mode, max_lines: MultilineRule(mode[0], re.compile(mode[1]), max_lines),
    st.sampled_from(MODES),
    st.integers(1, 6),
)
inputs = st.lists(LINE, max_size=40)
chunkings = st.lists(st.integers(1, 8), max_size=20)


@given(rules, inputs, chunkings)
def test_events_give_back_the_lines_in_order(
    rule: MultilineRule, lines: list[str], chunks: list[int]
) -> None:
    events, _ = _run(rule, lines, chunks)
    assert [line for event in events for line in event.lines] == lines
    assert all(event.lines for event in events)


@given(rules, inputs, chunkings)
def test_no_event_exceeds_max_lines(rule: MultilineRule, lines: list[str], chunks: list[int]) -> None:
    events, _ = _run(rule, lines, chunks)
    assert all(len(event.lines) <= rule.max_lines for event in events)


@given(rules, inputs, chunkings)
def test_events_are_contiguous_spans_of_the_stream(
    rule: MultilineRule, lines: list[str], chunks: list[int]
) -> None:
    events, _ = _run(rule, lines, chunks)
    at = 0
    for event in events:
        assert event.start == at
        assert event.end == at + sum(len(line) + 1 for line in event.lines)
        at = event.end


@given(st.integers(1, 6), inputs, chunkings)
def test_with_start_every_event_but_the_first_begins_with_a_match(
    max_lines: int, lines: list[str], chunks: list[int]
) -> None:
    rule = MultilineRule("start", re.compile(r"^\S"), max_lines)
    events, _ = _run(rule, lines, chunks)
    for before, event in itertools.pairwise(events):
        # An event cut at max_lines is followed by the rest of its lines, as an event of their own.
        assert rule.pattern.search(event.lines[0]) or len(before.lines) == max_lines


@given(st.sampled_from(MODES), inputs)
def test_without_a_cap_joined_lines_never_begin_an_event(mode: tuple[str, str], lines: list[str]) -> None:
    rule = MultilineRule(mode[0], re.compile(mode[1]), max_lines=1000)  # type: ignore[arg-type]
    events, _ = _run(rule, lines, [])
    for event in events:
        assert not any(rule.begins(line) for line in event.lines[1:])
    for event in events[1:]:
        assert rule.begins(event.lines[0])


@given(rules, inputs, chunkings, chunkings)
def test_any_chunking_gives_the_same_events(
    rule: MultilineRule, lines: list[str], one: list[int], other: list[int]
) -> None:
    assert _run(rule, lines, one)[0] == _run(rule, lines, other)[0]


@given(rules, inputs, chunkings)
def test_the_safe_offset_never_falls_inside_an_event(
    rule: MultilineRule, lines: list[str], chunks: list[int]
) -> None:
    events, safe = _run(rule, lines, chunks)
    boundaries = {0, *(event.end for event in events)}
    assert all(offset in boundaries for offset in safe)
    assert safe == sorted(safe)


def test_skip_moves_the_safe_offset_only_between_events() -> None:
    groups = LineGroups(MultilineRule("start", re.compile(r"^E")), offset=5)
    groups.skip(9)
    assert groups.safe_offset == 9
    groups.feed("E1", 9, 12)
    groups.skip(20)
    assert groups.safe_offset == 9
    assert [g.message for g in groups.feed("E2", 20, 23)] == ["E1"]
    assert groups.safe_offset == 20
