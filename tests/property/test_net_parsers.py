from __future__ import annotations

import itertools

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeflow.domain.parsers.statsd import parse_statsd_line, parse_statsd_packet
from pipeflow.domain.parsers.syslog import LEVELS, parse_syslog
from pipeflow.infrastructure.sources.syslog_framing import SyslogFramer

# Text biased towards the characters the grammars care about, so the parsers get deep.
_syslog_alphabet = st.sampled_from(list('<>[]"\\=:- 0123456789Jun TZ.+@abc\r\n\x00\ufeff'))
_syslog_text = st.one_of(
    st.text(),
    st.text(_syslog_alphabet, max_size=80),
    st.builds(
        lambda pri, rest: f"<{pri}>1 {rest}", st.integers(0, 200), st.text(_syslog_alphabet, max_size=80)
    ),
    st.builds(lambda rest: f"<13>Jun 14 15:16:01 {rest}", st.text(_syslog_alphabet, max_size=60)),
)
_statsd_text = st.one_of(
    st.text(), st.text(st.sampled_from(list(":|@#,.-+e0123456789cgmshd\n x")), max_size=60)
)


@settings(max_examples=200)
@given(_syslog_text)
def test_syslog_parser_is_total_and_json_native(line: str) -> None:
    result = parse_syslog(line)
    if isinstance(result, str):
        assert result
        return
    assert result["level"] == LEVELS[int(str(result["severity"]))]
    assert isinstance(result["message"], str)
    orjson.dumps(result)  # every value is JSON-native


@settings(max_examples=200)
@given(_statsd_text)
def test_statsd_parser_is_total_and_json_native(text: str) -> None:
    for line, result in parse_statsd_packet(text):
        assert "\n" not in line
        assert result == parse_statsd_line(line)
        if isinstance(result, dict):
            orjson.dumps(result)  # finite numbers, 64-bit integers
        else:
            assert result


@settings(max_examples=100)
@given(
    name=st.from_regex(r"[a-z][a-z0-9._]{0,20}", fullmatch=True),
    value=st.integers(-(2**62), 2**62),
    code=st.sampled_from(["c", "g", "ms", "h", "d"]),
    tags=st.dictionaries(
        st.from_regex(r"[a-z]{1,8}", fullmatch=True), st.from_regex(r"[a-z0-9]{0,8}", fullmatch=True)
    ),
)
def test_statsd_rendered_metric_parses_back(name: str, value: int, code: str, tags: dict[str, str]) -> None:
    tag_part = "|#" + ",".join(f"{k}:{v}" for k, v in tags.items()) if tags else ""
    result = parse_statsd_line(f"{name}:{value}|{code}{tag_part}")
    assert isinstance(result, dict)
    assert (result["name"], result["value"], result["tags"]) == (name, value, tags)


_frame = st.binary(min_size=1, max_size=40).filter(
    lambda b: b"\n" not in b and b.strip() != b"" and not b[:1].isdigit() and not b.endswith(b"\r")
)


@settings(max_examples=150)
@given(
    frames=st.lists(st.tuples(_frame, st.booleans()), max_size=12),
    cuts=st.lists(st.integers(0, 2000), max_size=8),
)
def test_framing_does_not_depend_on_how_the_stream_is_cut(
    frames: list[tuple[bytes, bool]], cuts: list[int]
) -> None:
    """Law: any mix of octet-counted and newline frames, cut anywhere, comes out whole and in order."""
    stream = b"".join(b"%d %s" % (len(f), f) if counted else f + b"\n" for f, counted in frames)
    bounds = sorted({0, len(stream), *(c for c in cuts if c < len(stream))})
    framer = SyslogFramer(64)
    out = [item for a, b in itertools.pairwise(bounds) for item in framer.feed(stream[a:b])]
    out += framer.end()
    assert out == [f for f, _ in frames]
