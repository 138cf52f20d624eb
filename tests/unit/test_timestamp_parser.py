from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from pipeflow.domain.json import Json
from pipeflow.domain.parsers.timestamp import (
    format_problem,
    format_timestamp,
    needs_year,
    parse_time,
    year_at,
)

PARIS = ZoneInfo("Europe/Paris")


def iso(value: Json, fmt: str, zone: timezone | ZoneInfo = UTC, year: int | None = None) -> str | None:
    moment = parse_time(value, fmt, zone, year)
    return None if moment is None else format_timestamp(moment)


@pytest.mark.parametrize(
    ("value", "fmt", "expected"),
    [
        ("04/Dec/2005:04:47:44 +0000", "%d/%b/%Y:%H:%M:%S %z", "2005-12-04T04:47:44.000Z"),
        ("10/Oct/2000:13:55:36 -0700", "%d/%b/%Y:%H:%M:%S %z", "2000-10-10T20:55:36.000Z"),
        ("2005-12-04 04:47:44,123", "%Y-%m-%d %H:%M:%S,%f", "2005-12-04T04:47:44.123Z"),
        ("081109 203615", "%y%m%d %H%M%S", "2008-11-09T20:36:15.000Z"),
        ("Sun Dec 04 04:47:44 2005", "%a %b %d %H:%M:%S %Y", "2005-12-04T04:47:44.000Z"),
        ("12/04/2005 04:47:44 PM", "%m/%d/%Y %I:%M:%S %p", "2005-12-04T16:47:44.000Z"),
        ("2005-12-04T04:47:44Z", "iso8601", "2005-12-04T04:47:44.000Z"),
        ("2005-12-04T04:47:44.5+01:00", "iso8601", "2005-12-04T03:47:44.500Z"),
        ("2005-12-04T04:47:44.123456789-05:30", "iso8601", "2005-12-04T10:17:44.123Z"),
        ("2005-12-04 04:47:44.999999", "iso8601", "2005-12-04T04:47:44.999Z"),
        ("20051204T044744Z", "iso8601", "2005-12-04T04:47:44.000Z"),
        ("2005-12-04", "iso8601", "2005-12-04T00:00:00.000Z"),
        (" 2005-12-04T04:47:44+0000 ", "iso8601", "2005-12-04T04:47:44.000Z"),
        (1133671664, "unix", "2005-12-04T04:47:44.000Z"),
        (1133671664.25, "unix", "2005-12-04T04:47:44.250Z"),
        ("1133671664", "unix", "2005-12-04T04:47:44.000Z"),
        ("1133671664.9999", "unix", "2005-12-04T04:47:44.999Z"),
        ("1.133671664e9", "unix", "2005-12-04T04:47:44.000Z"),
        (1133671664123, "unix_ms", "2005-12-04T04:47:44.123Z"),
        ("1133671664123", "unix_ms", "2005-12-04T04:47:44.123Z"),
        (1133671664123456, "unix_us", "2005-12-04T04:47:44.123Z"),
        ("1133671664123456", "unix_us", "2005-12-04T04:47:44.123Z"),
        (1133671664123456789, "unix_ns", "2005-12-04T04:47:44.123Z"),
        ("1133671664123456789", "unix_ns", "2005-12-04T04:47:44.123Z"),
        (0, "unix", "1970-01-01T00:00:00.000Z"),
        ("0e99", "unix", "1970-01-01T00:00:00.000Z"),
        (-1.5, "unix", "1969-12-31T23:59:58.500Z"),
        ("-1", "unix_ms", "1969-12-31T23:59:59.999Z"),
    ],
)
def test_formats(value: Json, fmt: str, expected: str) -> None:
    assert iso(value, fmt) == expected


@pytest.mark.parametrize(
    ("value", "fmt"),
    [
        ("04/Dec/2005:04:47:44", "%d/%b/%Y:%H:%M:%S %z"),
        ("31/Feb/2005:04:47:44 +0000", "%d/%b/%Y:%H:%M:%S %z"),
        ("yesterday", "iso8601"),
        ("", "iso8601"),
        (1133671664, "iso8601"),
        (1133671664, "%Y"),
        (True, "unix"),
        (None, "unix"),
        ([1], "unix"),
        ("12abc", "unix"),
        ("", "unix"),
        ("nan", "unix"),
        (float("inf"), "unix"),
        ("1e400", "unix"),
        (10**30, "unix_ms"),
        ("9" * 60, "unix_ns"),
        ("1" * 100, "unix"),
        ("0001-01-01T00:00:00+01:00", "iso8601"),
    ],
)
def test_values_a_format_does_not_read(value: Json, fmt: str) -> None:
    assert parse_time(value, fmt, UTC, None) is None


def test_text_without_an_offset_is_in_the_zone() -> None:
    assert iso("2005-12-04 04:47:44", "iso8601", PARIS) == "2005-12-04T03:47:44.000Z"
    assert iso("2005-07-04 04:47:44", "%Y-%m-%d %H:%M:%S", PARIS) == "2005-07-04T02:47:44.000Z"
    assert iso("2005-12-04 04:47:44", "iso8601", timezone(timedelta(hours=-3))) == "2005-12-04T07:47:44.000Z"


def test_an_offset_in_the_text_wins_over_the_zone() -> None:
    assert iso("2005-12-04T04:47:44Z", "iso8601", PARIS) == "2005-12-04T04:47:44.000Z"
    assert iso("04/Dec/2005:04:47:44 +0000", "%d/%b/%Y:%H:%M:%S %z", PARIS) == "2005-12-04T04:47:44.000Z"


def test_epoch_numbers_ignore_the_zone() -> None:
    assert iso(1133671664, "unix", PARIS) == "2005-12-04T04:47:44.000Z"


def test_a_year_less_format_takes_the_year_given() -> None:
    assert iso("Dec  4 04:47:44", "%b %d %H:%M:%S", UTC, 2005) == "2005-12-04T04:47:44.000Z"
    assert iso("Jun 14 15:16:01", "%b %d %H:%M:%S", PARIS, 2024) == "2024-06-14T13:16:01.000Z"
    assert iso("Feb 29 00:00:00", "%b %d %H:%M:%S", UTC, 2024) == "2024-02-29T00:00:00.000Z"
    assert iso("Feb 29 00:00:00", "%b %d %H:%M:%S", UTC, 2023) is None
    assert iso("Dec  4 04:47:44", "%b %d %H:%M:%S", UTC, None) is None


def test_needs_year() -> None:
    assert needs_year("%b %d %H:%M:%S")
    assert needs_year("%H:%M %%Y")
    assert not needs_year("%y%m%d")
    assert not needs_year("%c")
    assert not needs_year("iso8601")


@pytest.mark.parametrize(
    ("fmt", "problem"),
    [
        ("%Y-%q", "bad strftime format: 'q' is a bad directive in format '%Y-%q'"),
        ("%Y %", "bad strftime format: stray % in format '%Y %'"),
        ("%Y %d %d", "bad strftime format: redefinition of group name 'd'"),
        ("%G-%V", "bad strftime format: ISO year directive '%G' must be used with"),
        ("iso", "not a strftime format (no % directive) nor one of iso8601, unix, unix_ms, unix_us, unix_ns"),
        ("%%", "not a strftime format (no % directive)"),
        ("", "not a strftime format (no % directive)"),
    ],
)
def test_bad_formats_say_why(fmt: str, problem: str) -> None:
    reason = format_problem(fmt)
    assert reason is not None
    assert reason.startswith(problem)


@pytest.mark.parametrize(
    "fmt", ["iso8601", "unix", "unix_ns", "%b %d %H:%M:%S", "%d/%b/%Y:%H:%M:%S %z", "%G-%V-%u", "%%%j"]
)
def test_good_formats(fmt: str) -> None:
    assert format_problem(fmt) is None


def test_format_timestamp_truncates_to_milliseconds_in_utc() -> None:
    moment = datetime(2005, 12, 4, 5, 47, 44, 999999, tzinfo=timezone(timedelta(hours=1)))
    assert format_timestamp(moment) == "2005-12-04T04:47:44.999Z"
    assert format_timestamp(datetime(1, 1, 1, tzinfo=UTC)) == "0001-01-01T00:00:00.000Z"


def test_year_at() -> None:
    new_year_utc = datetime(2025, 1, 1, tzinfo=UTC).timestamp()
    assert year_at(new_year_utc - 1, UTC) == 2024
    assert year_at(new_year_utc - 1, PARIS) == 2025
    assert year_at(float("1e300"), UTC) is None
