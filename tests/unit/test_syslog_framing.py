from __future__ import annotations

from pipeflow.domain.ports import Rejected
from pipeflow.infrastructure.sources.syslog_framing import SyslogFramer


def test_newline_frames_drop_cr_and_blank_lines() -> None:
    framer = SyslogFramer(100)
    assert framer.feed(b"<13>a\r\n\n  \n<13>b\n") == [b"<13>a", b"<13>b"]
    assert framer.end() == []


def test_octet_counted_frames_wait_for_their_length() -> None:
    framer = SyslogFramer(100)
    assert framer.feed(b"1") == []
    assert framer.feed(b"0 <13>x\n") == []
    assert framer.feed(b"yz") == []
    assert framer.feed(b"ab<13>next\n") == [b"<13>x\nyzab", b"<13>next"]


def test_a_digit_line_that_is_no_length_is_a_line() -> None:
    framer = SyslogFramer(100)
    assert framer.feed(b"2024-06-01T00:00:00Z host app: m\n") == [b"2024-06-01T00:00:00Z host app: m"]


def test_an_oversized_octet_frame_is_rejected_and_skipped_exactly() -> None:
    framer = SyslogFramer(4)
    out = framer.feed(b"10 abcdefghij3 abc")
    assert out == [Rejected(b"abcd", "frame over 4 bytes (10)"), b"abc"]


def test_an_oversized_line_is_rejected_once_and_skipped_to_its_newline() -> None:
    framer = SyslogFramer(4)
    assert framer.feed(b"abcdef") == [Rejected(b"abcd", "line over 4 bytes")]
    assert framer.feed(b"ghij") == []
    assert framer.feed(b"kl\nok\n") == [b"ok"]


def test_a_connection_closed_inside_an_octet_frame_is_rejected() -> None:
    framer = SyslogFramer(100)
    assert framer.feed(b"9 abc") == []
    assert framer.end() == [Rejected(b"9 abc", "connection closed inside an octet-counted frame")]
