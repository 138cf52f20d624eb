from __future__ import annotations

import pytest

from pipeflow.domain.parsers.logfmt import is_logfmt_key, parse_logfmt, render_logfmt


def test_bare_quoted_and_flag_values() -> None:
    line = 'ts=2024-06-01T12:00:00Z level=info msg="user logged in" user.id=42 retry'
    assert parse_logfmt(line) == {
        "ts": "2024-06-01T12:00:00Z",
        "level": "info",
        "msg": "user logged in",
        "user.id": "42",
        "retry": True,
    }


def test_values_stay_strings_and_a_later_key_wins() -> None:
    assert parse_logfmt("n=1 n=2 ok=true") == {"n": "2", "ok": "true"}


def test_empty_values() -> None:
    assert parse_logfmt('a= b="" c') == {"a": "", "b": "", "c": True}


def test_escapes_inside_quotes() -> None:
    line = r'msg="say \"hi\"\n\ttab \\ back \q"'
    assert parse_logfmt(line) == {"msg": 'say "hi"\n\ttab \\ back \\q'}


def test_unicode_and_equals_in_a_bare_value() -> None:
    assert parse_logfmt("ville=Zürich url=http://x/?a=b&c=d 名前=値") == {
        "ville": "Zürich",
        "url": "http://x/?a=b&c=d",
        "名前": "値",
    }


def test_any_whitespace_separates_pairs() -> None:
    assert parse_logfmt("  a=1\t\tb=2  \r\n") == {"a": "1", "b": "2"}


def test_an_empty_line_has_no_fields() -> None:
    assert parse_logfmt("") == {}
    assert parse_logfmt("   ") == {}


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ('msg="open', "unterminated quote in the value of msg"),
        ("a=1 =2", "expected a key at character 4, found '='"),
        ('a"b=1', "a \" inside the key 'a'"),
        ('a=x"y', 'a " inside the bare value of a'),
        ('a="x"y', "text right after the closing quote of a"),
        ('"quoted"', "expected a key at character 0, found '\"'"),
    ],
)
def test_malformed_lines_give_the_reason(line: str, reason: str) -> None:
    assert parse_logfmt(line) == reason


def test_render_quotes_only_what_needs_it() -> None:
    line = render_logfmt({"a": "plain", "b": "two words", "c": "x=y", "d": "", "e": True, "f": "back\\slash"})
    assert line == 'a=plain b="two words" c="x=y" d="" e f="back\\\\slash"'
    assert parse_logfmt(line) == {
        "a": "plain",
        "b": "two words",
        "c": "x=y",
        "d": "",
        "e": True,
        "f": "back\\slash",
    }


def test_keys() -> None:
    assert is_logfmt_key("a.b-c_d")
    assert not is_logfmt_key("a=b")
    assert not is_logfmt_key('a"')
    assert not is_logfmt_key("a\tb")
