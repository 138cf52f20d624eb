"""Laws of ``grok``: expansion leaves plain regexes alone, RE2 and ``re`` agree, grok on a plain
regex is ``regex_extract``.

The text strategy lives here rather than in ``tests/strategies.py``: log-shaped tokens that the
core patterns care about (addresses, dates, numbers, quotes), mixed with arbitrary ASCII.
"""

from __future__ import annotations

import string

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeflow.domain.events import Event, EventId, EventMeta
from pipeflow.domain.parsers.grok import Expansion, expand
from pipeflow.infrastructure.functions.grok import plugin as grok
from pipeflow.infrastructure.functions.grok_engine import ReMatcher, compile_expansion
from pipeflow.infrastructure.functions.grok_patterns import CORE_PATTERNS
from pipeflow.infrastructure.functions.regex_extract import plugin as regex_extract

TOKENS = [
    "10.0.0.1", "256.1.1.1", "::1", "fe80::1%eth0", "2001:db8::7334", "example.com", "a..b", "-",
    "Dec", "10", "06:55:46", "2015-07-29T17:41:44.747Z", "[10/Oct/2000:13:55:36 -0700]", '"GET / HTTP/1.1"',
    "200", "-0.5", "0x1F", "INFO", "warn", "sshd[24200]:", "/var/log", "C:\\x\\y", "https://u@h:80/p?q=1",
    "john@example.com", "00:1a:2b:3c:4d:5e", "org.Foo$Bar", "<init>", "'q'", "`t`", "Mon", "UTC", "+02:00",
]  # fmt: skip
# Printable ASCII without \v and \f (RE2's \s leaves \v out) and without newlines ($ differs there).
ASCII = st.text(
    st.sampled_from(string.ascii_letters + string.digits + string.punctuation + " \t"), max_size=12
)
TEXTS = st.lists(st.sampled_from(TOKENS) | ASCII, max_size=8).flatmap(
    lambda parts: st.sampled_from([" ", "", ":", "/"]).map(lambda sep: sep.join(parts))
)
PLAIN = st.text(st.sampled_from("ab.*+?|^$ 0"), max_size=16)
REGEXES = [
    r"(?P<a>\d+)-(?P<b>[a-z]*)",
    r"(?P<x>\d)|(?P<y>[a-z])",
    r"^(?P<head>\S+) (?P<rest>.*)$",
    r"(?P<q>\"[^\"]*\")?\s*(?P<w>\w+)",
]


@given(PLAIN)
def test_a_regex_without_references_or_named_groups_expands_to_itself(text: str) -> None:
    assert expand(text, CORE_PATTERNS) == Expansion(text, ())


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(sorted(CORE_PATTERNS)), TEXTS)
def test_re2_and_re_capture_the_same(name: str, text: str) -> None:
    expanded = expand(f"(?<whole>%{{{name}}})", CORE_PATTERNS)
    assert isinstance(expanded, Expansion)
    matcher = compile_expansion(expanded)
    assert isinstance(matcher, ReMatcher)
    assert matcher.linear is not None
    fast, slow = matcher.linear.captures(text), matcher.captures(text)
    assert (list(fast) if fast is not None else None) == (list(slow) if slow is not None else None)


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(REGEXES), TEXTS)
def test_grok_on_a_plain_regex_is_regex_extract(pattern: str, text: str) -> None:
    event = Event(EventId("01J"), EventMeta("t", 0.0), {"message": text})
    assert grok({"patterns": [pattern]}).unwrap()(event) == regex_extract(
        {"field": "message", "pattern": pattern}
    ).unwrap()(event)
