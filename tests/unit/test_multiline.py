"""``domain.multiline``: grouping lines into events by ``start`` or ``continuation``, with ``max_lines``."""

from __future__ import annotations

import re

from pipeflow.domain.multiline import Grouped, LineGroups, MultilineRule, multiline_rule

TRACE = [
    "2024-05-01 12:00:00 ERROR request failed",
    "java.lang.IllegalStateException: outer",
    "\tat com.example.Service.handle(Service.java:42)",
    "Caused by: java.io.IOException: inner",
    "\tat com.example.Io.read(Io.java:7)",
    "\t... 3 more",
    "2024-05-01 12:00:01 INFO recovered",
]


def _group(rule: MultilineRule, lines: list[str]) -> list[Grouped]:
    groups = LineGroups(rule, offset=0)
    out: list[Grouped] = []
    at = 0
    for line in lines:
        out.extend(groups.feed(line, at, at + len(line) + 1))
        at += len(line) + 1
    return out + groups.flush()


def test_start_groups_a_stack_trace_with_its_caused_by_chain() -> None:
    rule = MultilineRule("start", re.compile(r"^\d{4}-\d\d-\d\d "))
    events = _group(rule, TRACE)
    assert [e.message for e in events] == ["\n".join(TRACE[:6]), TRACE[6]]
    assert events[1].start == events[0].end == sum(len(line) + 1 for line in TRACE[:6])


def test_continuation_joins_indented_and_caused_by_lines() -> None:
    rule = MultilineRule("continuation", re.compile(r"^(\s|Caused by:)"))
    events = _group(rule, TRACE)
    assert [len(e.lines) for e in events] == [1, 5, 1]
    assert events[1].lines[0] == "java.lang.IllegalStateException: outer"


def test_lines_before_the_first_start_form_an_event_of_their_own() -> None:
    rule = MultilineRule("start", re.compile(r"^START"))
    events = _group(rule, ["junk 1", "junk 2", "START a", "b"])
    assert [e.lines for e in events] == [("junk 1", "junk 2"), ("START a", "b")]


def test_max_lines_completes_an_event_and_the_rest_goes_on() -> None:
    rule = MultilineRule("start", re.compile(r"^S"), max_lines=2)
    events = _group(rule, ["S1", "a", "b", "c", "S2"])
    assert [e.lines for e in events] == [("S1", "a"), ("b", "c"), ("S2",)]


def test_an_event_completes_as_soon_as_it_reaches_max_lines() -> None:
    groups = LineGroups(MultilineRule("start", re.compile(r"^S"), max_lines=2), offset=0)
    assert groups.feed("S1", 0, 3) == []
    assert groups.feed("a", 3, 5) == [Grouped(("S1", "a"), 0, 5)]
    assert not groups.pending
    assert groups.safe_offset == 5


def test_flush_completes_the_pending_event_once() -> None:
    groups = LineGroups(MultilineRule("start", re.compile(r"^S")), offset=100)
    assert groups.flush() == []
    groups.feed("S", 100, 102)
    assert groups.flush() == [Grouped(("S",), 100, 102)]
    assert groups.flush() == []


def test_a_bad_pattern_is_a_reason_not_an_exception() -> None:
    assert (
        multiline_rule("start", "(") == "not a valid regex: missing ), unterminated subpattern at position 0"
    )
    rule = multiline_rule("continuation", r"^\s", 3)
    assert isinstance(rule, MultilineRule)
    assert (rule.mode, rule.max_lines) == ("continuation", 3)
