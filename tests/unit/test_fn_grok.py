"""``grok``: matching, captures and conversions, ``target``, ``on_failure``, config problems, the bound."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from returns.result import Failure

from pipeflow.domain.errors import Problem
from pipeflow.domain.events import Event, EventId, EventMeta
from pipeflow.domain.json import JsonObject
from pipeflow.domain.results import Drop, FunctionFailed, Pass
from pipeflow.infrastructure.functions.grok import NO_MATCH, Grok
from pipeflow.infrastructure.functions.grok import plugin as grok

ACCESS = (
    '203.0.113.9 - alice [10/Oct/2000:13:55:36 -0700] "GET /index.html?q=1 HTTP/1.1" 200 2326 '
    '"https://example.com/start" "Mozilla/5.0 (X11)"'
)


def ev(fields: JsonObject) -> Event:
    return Event(EventId("01J"), EventMeta("t", 0.0), fields)


def build(**config: Any) -> Grok:
    fn = grok(config).unwrap()
    assert isinstance(fn, Grok)
    return fn


def run(fn: Grok, message: object, **more: object) -> JsonObject:
    result = fn(ev({"message": message, **more}))  # type: ignore[dict-item]
    assert isinstance(result, Pass)
    return result.event.fields


def problems(**config: Any) -> tuple[Problem, ...]:
    built = grok(config)
    assert isinstance(built, Failure), built
    return tuple(built.failure())


def test_combined_apache_log_into_fields_with_int_conversions() -> None:
    fields = run(build(patterns=["%{COMBINEDAPACHELOG}"]), ACCESS)
    assert fields == {
        "message": ACCESS,
        "clientip": "203.0.113.9",
        "ident": "-",
        "auth": "alice",
        "timestamp": "10/Oct/2000:13:55:36 -0700",
        "verb": "GET",
        "request": "/index.html?q=1",
        "httpversion": "1.1",
        "response": 200,
        "bytes": 2326,
        "referrer": '"https://example.com/start"',
        "agent": '"Mozilla/5.0 (X11)"',
    }


def test_bytes_dash_sets_no_bytes_field() -> None:
    fields = run(build(patterns=["%{COMMONAPACHELOG}"]), ACCESS.replace(" 2326 ", " - "))
    assert "bytes" not in fields
    assert fields["response"] == 200


def test_the_first_pattern_that_matches_wins() -> None:
    fn = build(patterns=[r"user=%{WORD:user}", r"%{INT:n:int}", r"%{WORD:word}"])
    assert run(fn, "id 7 user=bob") == {"message": "id 7 user=bob", "user": "bob"}
    assert run(fn, "id 7") == {"message": "id 7", "n": 7}
    assert run(fn, "hello") == {"message": "hello", "word": "hello"}


def test_search_anywhere_unless_anchored() -> None:
    assert run(build(patterns=[r"%{INT:n:int}"]), "abc 42 def")["n"] == 42
    anchored = build(patterns=[r"^%{INT:n:int}$"], on_failure="drop")
    assert anchored(ev({"message": "abc 42"})) == Drop(NO_MATCH)
    assert run(anchored, "42")["n"] == 42


def test_field_paths_nest_and_logstash_brackets_too() -> None:
    fn = build(patterns=[r"%{WORD:[http][verb]} %{INT:http.status:int} (?<http.took>%{NUMBER})ms"])
    fields = run(fn, "GET 404 1.5ms", http={"version": "2"})
    assert fields["http"] == {"version": "2", "verb": "GET", "status": 404, "took": "1.5"}


def test_float_conversion_and_int_truncates_a_decimal() -> None:
    fn = build(patterns=[r"%{NUMBER:a:float} %{NUMBER:b:int}"])
    fields = run(fn, "2 3.9")
    assert fields["a"] == 2.0
    assert type(fields["a"]) is float
    assert fields["b"] == 3


def test_a_capture_that_does_not_convert_dead_letters() -> None:
    fn = build(patterns=[r"%{WORD:n:int}"])
    with pytest.raises(FunctionFailed, match=r"grok: n: 'abc' is not a finite int"):
        fn(ev({"message": "abc"}))


def test_plain_named_groups_capture_in_both_spellings() -> None:
    fn = build(patterns=[r"(?P<a>\d+)-(?<b>\d+)"])
    assert run(fn, "x 1-2") == {"message": "x 1-2", "a": "1", "b": "2"}


def test_a_group_that_took_no_part_sets_nothing() -> None:
    fn = build(patterns=[r"(?:%{INT:num}|%{WORD:word})"])
    assert run(fn, "hello", num="old") == {"message": "hello", "num": "old", "word": "hello"}


def test_target_puts_the_fields_under_it() -> None:
    fn = build(patterns=[r"%{WORD:verb} %{INT:status:int}"], target="http")
    assert run(fn, "GET 200", http={"x": 1}) == {
        "message": "GET 200",
        "http": {"x": 1, "verb": "GET", "status": 200},
    }


def test_on_failure_pass_drop_dead_letter() -> None:
    event = ev({"message": "nothing here"})
    assert build(patterns=[r"%{INT:n}"])(event) == Pass(event)
    assert build(patterns=[r"%{INT:n}"], on_failure="drop")(event) == Drop(NO_MATCH)
    with pytest.raises(FunctionFailed, match=r"^grok: no pattern matched$"):
        build(patterns=[r"%{INT:n}"], on_failure="dead_letter")(event)


def test_a_missing_or_non_string_field_is_no_match() -> None:
    fn = build(patterns=[r"%{INT:n}"], on_failure="drop")
    assert fn(ev({})) == Drop(NO_MATCH)
    assert fn(ev({"message": 42})) == Drop(NO_MATCH)


def test_pattern_definitions_add_and_override_and_use_the_library() -> None:
    fn = build(
        patterns=[r"^%{REQ}$"],
        pattern_definitions={"REQ": r"%{VERB:verb} %{URIPATH:path}", "VERB": r"GET|POST", "INT": r"\d{3}"},
    )
    assert run(fn, "POST /a/b") == {"message": "POST /a/b", "verb": "POST", "path": "/a/b"}


def test_unicode_text_captures_by_character() -> None:
    fn = build(patterns=[r"user=(?<user>\S+) %{INT:n:int}"])
    assert run(fn, "héllo user=zoë 5") == {"message": "héllo user=zoë 5", "user": "zoë", "n": 5}


def test_a_lone_surrogate_still_matches_on_re() -> None:
    fn = build(patterns=[r"%{INT:n:int}"])
    assert run(fn, "\ud800 12")["n"] == 12


def test_unknown_name_is_a_problem_at_its_pattern() -> None:
    assert problems(patterns=[r"%{INT}", r"%{NOPE:x}"]) == (
        Problem("patterns[1]", "unknown pattern %{NOPE}"),
    )


def test_a_cycle_in_definitions_is_a_problem_at_the_definition() -> None:
    found = problems(patterns=[r"%{INT}"], pattern_definitions={"A": r"x%{B}", "B": r"%{A}y"})
    assert found == (
        Problem("pattern_definitions.A", "a cycle in pattern definitions: A -> B -> A"),
        Problem("pattern_definitions.B", "a cycle in pattern definitions: B -> A -> B"),
    )


def test_a_regex_that_does_not_compile_is_a_problem_with_re_s_message() -> None:
    (problem,) = problems(patterns=[r"%{INT:n}(unclosed"])
    assert problem.where == "patterns[0]"
    assert problem.message.startswith("invalid regex: missing ), unterminated subpattern")


def test_a_posix_class_is_refused_rather_than_read_as_another_regex() -> None:
    (problem,) = problems(patterns=[r"[[:alpha:]]+"])
    assert problem.where == "patterns[0]"
    assert "nested set" in problem.message


def test_bad_conversion_field_and_definition_name() -> None:
    found = problems(patterns=[r"%{INT:n:long}", r"%{INT:a..b}"], pattern_definitions={"no-dash": "x"})
    assert found == (
        Problem("pattern_definitions", "'no-dash' is not a pattern name (A-Z, 0-9, _)"),
        Problem("patterns[0]", "unknown conversion :long in %{INT:n:long} (int or float)"),
        Problem("patterns[1]", "not a field path: 'a..b' in %{INT:a..b}"),
    )


def test_no_patterns_is_a_problem() -> None:
    (problem,) = problems(patterns=[])
    assert problem.where == "patterns"


def test_catastrophic_backtracking_is_linear_on_re2() -> None:
    # On re this search takes longer than the universe's age; RE2 answers in microseconds.
    fn = build(patterns=[r"(?<run>(a+)+)$", r"^(?<x>(x|x)*)y$"], on_failure="drop")
    assert all(p.matcher.engine == "re2" for p in fn.patterns)
    assert fn(ev({"message": "a" * 50_000 + "b" + "x" * 50_000})) == Drop(NO_MATCH)


def test_a_backreference_falls_back_to_re() -> None:
    fn = build(patterns=[r"(?<word>\w+) (?P=word)"])
    assert fn.patterns[0].matcher.engine == "re"
    assert run(fn, "say bye bye")["word"] == "bye"


def test_a_runaway_match_on_re_is_stopped_and_answered_by_re2() -> None:
    # re backtracks exponentially at every start before it finds the "c"; RE2 finds it at once.
    fn = build(patterns=[r"(?<x>(a+)+b)|(?<y>c)"], timeout_ms=5)
    assert fn.patterns[0].matcher.engine == "re2"
    start = time.process_time()
    assert run(fn, "a" * 40 + "c") == {"message": "a" * 40 + "c", "y": "c"}
    assert time.process_time() - start < 2.0


def test_a_runaway_match_without_an_re2_twin_dead_letters() -> None:
    fn = build(patterns=[r"(?<w>a)(?P=w)(a+)+$"], timeout_ms=5, on_failure="pass")
    assert fn.patterns[0].matcher.engine == "re"
    with pytest.raises(FunctionFailed, match="grok: the match took longer than 5 ms"):
        fn(ev({"message": "a" * 40 + "!"}))
    assert run(fn, "xaaaa")["w"] == "a"  # and the next line matches as ever


def test_the_fast_path_kernel_dead_letters_a_runaway_match_too() -> None:
    kernel = build(patterns=[r"(?<w>a)(?P=w)(a+)+$"], timeout_ms=5).fuse()
    with pytest.raises(FunctionFailed, match="took longer than 5 ms"):
        kernel({"message": "a" * 40 + "!"})


def test_off_the_main_thread_re2_answers_first() -> None:
    fn = build(patterns=[r"(?<x>(a+)+b)|(?<y>c)"], timeout_ms=5)
    seen: list[object] = []
    worker = threading.Thread(target=lambda: seen.append(fn(ev({"message": "a" * 60 + "c"}))))
    worker.start()
    worker.join(timeout=30)
    (result,) = seen
    assert isinstance(result, Pass)
    assert result.event.fields["y"] == "c"


@pytest.mark.parametrize("timeout_ms", [0, -1, 60_001])
def test_timeout_ms_out_of_range_is_a_problem(timeout_ms: float) -> None:
    (problem,) = problems(patterns=["%{WORD:w}"], timeout_ms=timeout_ms)
    assert problem.where == "timeout_ms"
