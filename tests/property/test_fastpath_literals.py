"""``required_literal`` is sound: every match of a regex contains it, so a text without it has none."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeflow.infrastructure.fastpath.literals import required_literal

ATOMS = [
    "a", "b", "ab", "@", "=", "-", " ", "#", "é", "\\.", "\\é", "\\\\", "\\n", "\\x61", "\\141", "\\0",
    "\\d", "\\w", ".", "{", "}", "{x}", "{}", "[a-z]", "[.]", "[]]", "[^a]", "[\\]a]", "[)]", "\\(", "\\)",
]  # fmt: skip
REPEATS = ["", "", "", "*", "+", "?", "*?", "++", "{2}", "{1,3}", "{,}"]
OTHERS = ["^", "$", "\\b", "(?#c)", "(?#(\\))", "a(?#c)*"]
OPENERS = ["(", "(", "(", "(?:", "(?:", "(?:", "(?=", "(?!", "(?<=a)(", "(?i:", "(?x:#)\n"]


def _compiles(text: str) -> bool:
    try:
        re.compile(text)
    except (re.error, OverflowError):
        return False
    return True


def _group(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    body = st.lists(inner, max_size=3).map("".join)
    branches = st.lists(body, min_size=1, max_size=2).map("|".join)
    parts = st.tuples(st.sampled_from(OPENERS), branches, st.sampled_from(["", "*", "{2}", "?"]))
    return parts.map(lambda t: f"{t[0]}{t[1]}){t[2]}")


atoms = st.tuples(st.sampled_from(ATOMS), st.sampled_from(REPEATS)).map("".join)
plain = st.one_of(atoms, atoms, atoms, st.sampled_from(OTHERS))
pieces = st.one_of(plain, plain, plain, _group(st.one_of(plain, _group(plain))))
top = st.lists(pieces, min_size=1, max_size=8).map("".join)
regexes = st.one_of(top, top, top, top, st.tuples(top, top).map("|".join)).filter(_compiles).map(re.compile)
"""Patterns of tokens where the rules bite (escapes, repeats, classes, comments) and nested groups."""


@settings(max_examples=500, deadline=None)
@given(regexes, st.lists(st.text("ab@=- #é.\\\n\x00a1", max_size=8), max_size=4))
def test_every_match_contains_the_required_literal(regex: re.Pattern[str], texts: list[str]) -> None:
    literal = required_literal(regex)
    if literal is None:
        return  # no prefilter: the regex always runs
    for text in [*texts, literal, literal * 2, "".join(texts)]:
        for m in regex.finditer(text):
            assert literal in m.group(), (regex.pattern, text)
        if literal not in text:
            assert regex.search(text) is None
