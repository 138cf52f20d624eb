"""``required_literal`` read from the pattern text by ``re``'s syntax rules (no private ``re`` module)."""

from __future__ import annotations

import re

import pytest

from pipeflow.infrastructure.fastpath.literals import required_literal

W1 = [
    (r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}", "@"),
    (r"user_id=(?P<user_id>\d+)", "user_id="),
    (r"action=(?P<action>\w+)", "action="),
]


@pytest.mark.parametrize(("pattern", "literal"), W1)
def test_the_w1_patterns_keep_their_prefilters(pattern: str, literal: str) -> None:
    assert required_literal(re.compile(pattern)) == literal


@pytest.mark.parametrize(
    ("pattern", "literal"),
    [
        ("ab*c", "a"),  # a repeat takes its atom out of the run
        ("ab{2}c", "a"),
        ("a{}b{,}c{x}", "c{x}"),  # ``{}`` and ``{x}`` are literal text, ``{,}`` a repeat
        (r"\x41\101\0\.\\", "AA\x00.\\"),  # escapes that stand for one character
        (r"ab\dcd\bef", "ab"),  # classes and anchors are not characters
        ("x[.]y[]]z", "x.y]z"),  # a class of one character is that character
        ("ab(?#c)c", "abc"),  # a comment is nothing ...
        ("ab(?#c)*c", "a"),  # ... so a repeat after it repeats ``b``
        ("a(?:bc)d", "abcd"),  # a plain group is unpacked, as ``re`` does ...
        ("a(?:bc)?d", "a"),  # ... unless it is repeated
        ("x(b|c)yz", "yz"),
        ("ab|ac", None),  # branches at the top: nothing is in every match
        ("(?i)abc", None),
        ("(?x)a b", None),
        ("(?x:a # )\n)bc", None),  # verbose inside a group: a ``#`` comment may hold ``)``
        (r"\d+", None),
    ],
)
def test_literal_runs_follow_the_syntax_of_re(pattern: str, literal: str | None) -> None:
    assert required_literal(re.compile(pattern)) == literal
