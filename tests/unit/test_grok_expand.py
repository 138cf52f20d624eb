"""The pure grok expansion: references, captures, plain named groups, errors as values."""

from __future__ import annotations

from pipeflow.domain.parsers.grok import MAX_EXPANDED, Capture, Expansion, GrokError, expand

LIB = {"INT": r"[0-9]+", "PAIR": r"%{INT:a}=%{INT:b:int}", "SELF": r"x%{SELF}"}


def expanded(pattern: str, library: dict[str, str] = LIB) -> Expansion:
    result = expand(pattern, library)
    assert isinstance(result, Expansion), result
    return result


def test_a_pattern_without_references_or_named_groups_is_itself() -> None:
    text = r"^(a|b)+\s*[%{}](?:x){2,3}$"
    assert expanded(text) == Expansion(text, ())


def test_unnamed_references_are_non_capturing_groups() -> None:
    assert expanded("%{INT}-%{INT}").regex == "(?:[0-9]+)-(?:[0-9]+)"


def test_captures_are_listed_by_opening_parenthesis_outer_first() -> None:
    e = expanded("%{PAIR:pair}")
    assert e.regex == "(?P<g0>(?P<g1>[0-9]+)=(?P<g2>[0-9]+))"
    assert e.captures == (
        Capture("g0", ("pair",), "str"),
        Capture("g1", ("a",), "str"),
        Capture("g2", ("b",), "int"),
    )


def test_escapes_and_character_classes_are_not_read_as_references() -> None:
    assert expanded(r"\%{INT}[%{INT}]").regex == r"\%{INT}[%{INT}]"
    assert expanded(r"[]%{]%{INT}").regex == r"[]%{](?:[0-9]+)"


def test_both_named_group_spellings_and_their_backreference() -> None:
    e = expanded(r"(?<w>\w+) (?P<v>\d) (?P=w) (?<=x)(?<!y)")
    assert e.regex == r"(?P<g0>\w+) (?P<g1>\d) (?P=g0) (?<=x)(?<!y)"
    assert [c.path for c in e.captures] == [("w",), ("v",)]


def test_a_repeat_without_minimum_is_spelled_for_both_engines() -> None:
    assert expanded(r"a{,3}").regex == r"a{0,3}"


def test_errors_are_values() -> None:
    assert expand("%{NOPE}", LIB) == GrokError("unknown pattern %{NOPE}")
    assert expand("%{SELF}", LIB) == GrokError("a cycle in pattern definitions: SELF -> SELF")
    assert expand("%{INT:x:bool}", LIB) == GrokError(
        "unknown conversion :bool in %{INT:x:bool} (int or float)"
    )
    assert expand("(?<a b>x)", LIB) == GrokError("not a field path: 'a b' in (?<a b>")


def test_definitions_that_double_at_every_level_stop_at_the_bound() -> None:
    lib = {f"L{i}": f"%{{L{i + 1}}}%{{L{i + 1}}}" for i in range(30)} | {"L30": "x"}
    result = expand("%{L0}", lib)
    assert result == GrokError(f"the pattern expands to more than {MAX_EXPANDED} characters")
