from __future__ import annotations

import csv
from pathlib import Path

import pytest

from pipeflow.domain.parsers.structured_data import parse_structured_data
from pipeflow.domain.parsers.syslog import parse_syslog

FIXTURES = Path(__file__).parent.parent / "fixtures" / "net"


def _ground_truth(stem: str) -> list[tuple[str, dict[str, str]]]:
    lines = (FIXTURES / f"{stem}_sample.log").read_bytes().decode("utf-8").split("\r\n")[:-1]
    with (FIXTURES / f"{stem}_sample_structured.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(lines) == len(rows) > 100
    return list(zip(lines, rows, strict=True))


def test_loghub_linux_lines_match_the_ground_truth() -> None:
    for line, row in _ground_truth("linux"):
        fields = parse_syslog(line + "\r\n")
        assert isinstance(fields, dict), (line, fields)
        assert fields["hostname"] == row["Level"]  # loghub names the host column "Level" here
        assert fields["appname"] == row["Component"]
        assert fields.get("procid") == (row["PID"] or None)
        assert str(fields["message"]).strip() == row["Content"]  # the ground truth trims
        assert fields["timestamp"] == line[:15]
        assert (fields["facility"], fields["severity"], fields["level"]) == ("user", 5, "notice")


def test_loghub_openssh_lines_match_the_ground_truth() -> None:
    for line, row in _ground_truth("openssh"):
        fields = parse_syslog(line)
        assert isinstance(fields, dict), (line, fields)
        assert (fields["hostname"], fields["appname"]) == (row["Component"], "sshd")
        assert fields["procid"] == row["Pid"]
        assert str(fields["message"]).strip() == row["Content"]  # the ground truth trims


@pytest.mark.parametrize(
    ("line", "app", "pid", "message"),
    [
        ("Jun 19 04:09:11 combo syslogd 1.4.1: restart.", "syslogd 1.4.1", None, "restart."),
        ("Jul  7 08:06:15 combo  -- root[2421]: ROOT LOGIN ON tty2", "-- root", "2421", "ROOT LOGIN ON tty2"),
        (
            "Jun 15 04:06:20 combo logrotate: ALERT exited abnormally",
            "logrotate",
            None,
            "ALERT exited abnormally",
        ),
    ],
)
def test_rfc3164_odd_tags_from_loghub(line: str, app: str, pid: str | None, message: str) -> None:
    fields = parse_syslog(line)
    assert isinstance(fields, dict)
    assert (fields["appname"], fields.get("procid"), fields["message"]) == (app, pid, message)


def test_rfc3164_with_pri_from_the_rfc() -> None:
    fields = parse_syslog("<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8")
    assert fields == {
        "facility": "auth",
        "severity": 2,
        "level": "critical",
        "timestamp": "Oct 11 22:14:15",
        "hostname": "mymachine",
        "appname": "su",
        "message": "'su root' failed for lonvick on /dev/pts/8",
    }


def test_rfc3164_without_hostname_reads_the_tag() -> None:
    fields = parse_syslog("<13>Feb  5 17:32:18 sshd[42]: Accepted publickey")
    assert isinstance(fields, dict)
    assert "hostname" not in fields
    assert (fields["appname"], fields["procid"], fields["message"]) == ("sshd", "42", "Accepted publickey")


def test_rfc3164_with_pri_and_no_timestamp_is_all_message() -> None:
    assert parse_syslog("<165>just some text") == {
        "facility": "local4",
        "severity": 5,
        "level": "notice",
        "message": "just some text",
    }


def test_rfc3164_with_an_iso_timestamp() -> None:
    fields = parse_syslog("2024-06-01T12:00:00.123+02:00 web-1 nginx[7]: GET / 200")
    assert isinstance(fields, dict)
    assert fields["timestamp"] == "2024-06-01T12:00:00.123+02:00"
    assert (fields["hostname"], fields["appname"], fields["procid"]) == ("web-1", "nginx", "7")


def test_rfc5424_examples_from_the_rfc() -> None:
    line = (
        '<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" '
        'eventSource="Application" eventID="1011"][examplePriority@32473 class="high"] '
        "\ufeffAn application event"
    )
    assert parse_syslog(line) == {
        "facility": "local4",
        "severity": 5,
        "level": "notice",
        "timestamp": "2003-10-11T22:14:15.003Z",
        "hostname": "mymachine.example.com",
        "appname": "evntslog",
        "msgid": "ID47",
        "structured_data": {
            "exampleSDID@32473": {"iut": "3", "eventSource": "Application", "eventID": "1011"},
            "examplePriority@32473": {"class": "high"},
        },
        "message": "An application event",
    }


def test_rfc5424_nil_values_are_left_out_and_message_is_optional() -> None:
    assert parse_syslog("<14>1 - - - - - -") == {
        "facility": "user",
        "severity": 6,
        "level": "info",
        "message": "",
    }


def test_rfc5424_procid_and_escapes_in_structured_data() -> None:
    fields = parse_syslog(
        '<11>1 2024-01-02T03:04:05+00:00 h app 123 - [x a="q\\"uote" a="b\\\\s\\]" c="\\n"] m'
    )
    assert isinstance(fields, dict)
    assert fields["procid"] == "123"
    assert fields["level"] == "error"
    assert fields["structured_data"] == {"x": {"a": ['q"uote', "b\\s]"], "c": "\\n"}}
    assert fields["message"] == "m"


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("hello world", "not syslog: no <PRI> and no timestamp"),
        ("", "not syslog: no <PRI> and no timestamp"),
        ("<abc>1 - - - - - -", "not syslog: malformed <PRI>"),
        ("<192>Oct 11 22:14:15 h a: m", "not syslog: PRI 192 out of range (0-191)"),
        ("<13>1 2024-01-01 h a p m -", "RFC 5424: invalid timestamp '2024-01-01'"),
        ("<13>1 - h a p", "RFC 5424: truncated header"),
        ("<13>1 - h a p m [x a=1]", "RFC 5424: structured data param 'a' needs =\"value\""),
        ('<13>1 - h a p m [x a="1"', "RFC 5424: structured data element 'x' is not closed with ']'"),
        ("<13>1 - h a p m [x][x]", "RFC 5424: structured data element 'x' appears twice"),
        ("<13>1 - h a p m [x]m", "RFC 5424: no space between structured data and message"),
        ("<13>1 - h a p m nope", "RFC 5424: structured data must be '-' or start with '['"),
    ],
)
def test_lines_that_are_not_syslog_say_why(line: str, reason: str) -> None:
    assert parse_syslog(line) == reason


def test_structured_data_names_are_limited_to_32_characters() -> None:
    assert parse_structured_data("[" + "a" * 33 + "]") == "invalid structured data name at column 2"
    assert parse_structured_data("[" + "a" * 32 + "]") == ({"a" * 32: {}}, 34)
