from __future__ import annotations

import pytest

from pipeflow.domain.parsers.access_log import parse_clf, parse_combined

CLF = '127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326'
COMBINED = CLF + ' "http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)"'
BASE = {
    "client": "127.0.0.1",
    "ident": "-",
    "user": "frank",
    "timestamp": "2000-10-10T20:55:36.000Z",
    "method": "GET",
    "path": "/apache_pb.gif",
    "protocol": "HTTP/1.0",
    "status": 200,
    "bytes": 2326,
}


def test_the_apache_clf_example() -> None:
    assert parse_clf(CLF) == BASE


def test_the_apache_combined_example() -> None:
    assert parse_combined(COMBINED) == {
        **BASE,
        "referrer": "http://www.example.com/start.html",
        "agent": "Mozilla/4.08 [en] (Win98; I ;Nav)",
    }


def test_clf_reads_a_combined_line_and_trailing_fields_are_ignored() -> None:
    assert parse_clf(COMBINED) == BASE
    assert parse_combined(COMBINED + ' 0.005 "10.0.0.9"\n') == parse_combined(COMBINED)


def test_bytes_dash_is_null_and_ipv6_clients() -> None:
    line = '2001:db8::1 - - [01/Jan/2024:00:00:00 +0000] "HEAD /x HTTP/2.0" 304 -'
    fields = parse_clf(line)
    assert isinstance(fields, dict)
    assert (fields["client"], fields["bytes"], fields["status"]) == ("2001:db8::1", None, 304)
    assert fields["timestamp"] == "2024-01-01T00:00:00.000Z"


def test_a_positive_offset_crosses_midnight_backwards() -> None:
    fields = parse_clf('h - - [01/Jan/2024:00:30:00 +0100] "GET / HTTP/1.1" 200 1')
    assert isinstance(fields, dict)
    assert fields["timestamp"] == "2023-12-31T23:30:00.000Z"


def test_escaped_quotes_and_unicode_in_quoted_fields() -> None:
    line = r'h - - [01/Jan/2024:00:00:00 +0000] "GET /a\"b HTTP/1.1" 200 5 "-" "agent \"x\" ünï \\ \x41"'
    fields = parse_combined(line)
    assert isinstance(fields, dict)
    assert fields["path"] == '/a"b'
    assert fields["agent"] == 'agent "x" ünï \\ \\x41'
    assert fields["referrer"] == "-"


@pytest.mark.parametrize(
    ("request_text", "method", "path", "protocol"),
    [
        ("GET /", "GET", "/", None),
        ("-", None, None, None),
        (r"\x16\x03\x01\x00", None, None, None),
        ("", None, None, None),
        ("OPTIONS * HTTP/1.1", "OPTIONS", "*", "HTTP/1.1"),
    ],
)
def test_requests_that_are_not_three_words(
    request_text: str, method: str | None, path: str | None, protocol: str | None
) -> None:
    fields = parse_clf(f'h - - [01/Jan/2024:00:00:00 +0000] "{request_text}" 400 0')
    assert isinstance(fields, dict)
    assert (fields["method"], fields["path"], fields["protocol"]) == (method, path, protocol)


@pytest.mark.parametrize(
    "line",
    [
        "",
        "hello world",
        '127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200',
        '127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 2000 1',
        '127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 12x',
        '127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0 200 1',
        '127.0.0.1 - - 10/Oct/2000:13:55:36 -0700 "GET / HTTP/1.0" 200 1',
    ],
)
def test_lines_that_are_not_clf(line: str) -> None:
    assert parse_clf(line) == "not a Common Log Format line"


def test_a_clf_line_is_not_combined() -> None:
    assert parse_combined(CLF) == "not a Combined Log Format line"


def test_an_invalid_time_is_the_reason() -> None:
    line = '127.0.0.1 - - [31/Feb/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 1'
    assert parse_clf(line) == "invalid time [31/Feb/2000:13:55:36 -0700] (expected %d/%b/%Y:%H:%M:%S %z)"
    assert isinstance(parse_clf(line.replace("31/Feb", "29/Feb")), dict)  # 2000 is a leap year
