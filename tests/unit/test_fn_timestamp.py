from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from returns.result import Failure

from pipeflow.domain.errors import Problem
from pipeflow.domain.events import Event, EventId, EventMeta
from pipeflow.domain.json import Json, JsonObject
from pipeflow.domain.results import Drop, FunctionFailed, Pass
from pipeflow.infrastructure.functions.parse import plugin as parse
from pipeflow.infrastructure.functions.timestamp import Timestamp
from pipeflow.infrastructure.functions.timestamp import plugin as timestamp

LOGHUB = Path(__file__).parent.parent / "fixtures" / "loghub"
IN_2024 = datetime(2024, 7, 1, 12, tzinfo=UTC).timestamp()
"""A fixed ingest time: the clock the source read, as the event carries it."""

APACHE = "%d/%b/%Y:%H:%M:%S %z"
SYSLOG = "%b %d %H:%M:%S"
NAMES = "iso8601, unix, unix_ms, unix_us, unix_ns"


def ev(fields: JsonObject, received_at: float = IN_2024) -> Event:
    return Event(EventId("01J"), EventMeta("t", received_at), fields)


def build(**config: Any) -> Timestamp:
    built = timestamp(config)
    fn = built.value_or(None)
    assert isinstance(fn, Timestamp), built
    return fn


def convert(value: Json, *formats: str, received_at: float = IN_2024, **config: Any) -> Json:
    result = build(field="time", formats=list(formats), **config)(ev({"time": value}, received_at))
    assert isinstance(result, Pass)
    return result.event.fields["time"]


def test_the_spec_example_tries_the_formats_in_order() -> None:
    formats = [APACHE, "iso8601", "unix", "unix_ms"]
    fn = build(field="time", formats=formats, target="@timestamp")
    cases: list[tuple[Json, str]] = [
        ("04/Dec/2005:04:47:44 +0000", "2005-12-04T04:47:44.000Z"),
        ("2005-12-04T05:47:44+01:00", "2005-12-04T04:47:44.000Z"),
        (1133671664, "2005-12-04T04:47:44.000Z"),
        ("1133671664.5", "2005-12-04T04:47:44.500Z"),
    ]
    for value, expected in cases:
        result = fn(ev({"time": value}))
        assert isinstance(result, Pass)
        assert result.event.fields == {"time": value, "@timestamp": expected}


def test_the_first_format_that_reads_the_value_wins() -> None:
    # 1133671664123 read as seconds is past year 9999, so unix fails and unix_ms reads it
    assert convert(1133671664123, "unix", "unix_ms") == "2005-12-04T04:47:44.123Z"
    assert convert(1133671664, "unix_ms", "unix") == "1970-01-14T02:54:31.664Z"


@pytest.mark.parametrize(
    ("value", "fmt", "expected"),
    [
        ("2005-12-04T04:47:44Z", "iso8601", "2005-12-04T04:47:44.000Z"),
        ("2005-12-04T04:47:44.123456+00:00", "iso8601", "2005-12-04T04:47:44.123Z"),
        ("2005-12-04 06:47:44", "iso8601", "2005-12-04T05:47:44.000Z"),
        ("2005-12-04T06:47:44.1", "iso8601", "2005-12-04T05:47:44.100Z"),
        ("04/Dec/2005:06:47:44 +0200", APACHE, "2005-12-04T04:47:44.000Z"),
        ("Dec  4 06:47:44", SYSLOG, "2005-12-04T05:47:44.000Z"),
        (1133671664, "unix", "2005-12-04T04:47:44.000Z"),
        ("1133671664123", "unix_ms", "2005-12-04T04:47:44.123Z"),
        (1133671664123456, "unix_us", "2005-12-04T04:47:44.123Z"),
        ("1133671664123456789", "unix_ns", "2005-12-04T04:47:44.123Z"),
    ],
)
def test_a_timezone_applies_only_to_text_without_an_offset(value: Json, fmt: str, expected: str) -> None:
    assert convert(value, fmt, timezone="Europe/Paris", default_year=2005) == expected


def test_a_year_less_format_takes_default_year() -> None:
    assert convert("Dec 10 06:55:46", SYSLOG, default_year=2015) == "2015-12-10T06:55:46.000Z"


def test_a_year_less_format_takes_the_year_the_event_was_received() -> None:
    assert convert("Dec 10 06:55:46", SYSLOG) == "2024-12-10T06:55:46.000Z"
    in_2019 = datetime(2019, 3, 1, tzinfo=UTC).timestamp()
    assert convert("Feb 28 23:00:00", SYSLOG, received_at=in_2019) == "2019-02-28T23:00:00.000Z"


def test_the_received_year_is_read_in_the_timezone() -> None:
    new_year_in_paris = datetime(2024, 12, 31, 23, 30, tzinfo=UTC).timestamp()  # 00:30 on Jan 1 in Paris
    assert convert("Jan  1 00:29:00", SYSLOG, received_at=new_year_in_paris) == "2024-01-01T00:29:00.000Z"
    got = convert("Jan  1 00:29:00", SYSLOG, received_at=new_year_in_paris, timezone="Europe/Paris")
    assert got == "2024-12-31T23:29:00.000Z"


def test_openssh_lines_through_parse_syslog_then_timestamp() -> None:
    to_fields = parse({"field": "message", "format": "syslog"}).unwrap()
    to_time = build(field="timestamp", formats=[SYSLOG], target="@timestamp", timezone="UTC")
    lines = (LOGHUB / "OpenSSH_200.log").read_text(encoding="utf-8").splitlines()
    for line in lines:
        parsed = to_fields(ev({"message": line}))
        assert isinstance(parsed, Pass)
        result = to_time(parsed.event)
        assert isinstance(result, Pass)
        expected = datetime.strptime(f"2024 {line[:15]}", f"%Y {SYSLOG}")
        assert result.event.fields["@timestamp"] == expected.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def test_missing_or_null_values_pass_unchanged() -> None:
    fn = build(field="time", formats=["iso8601"])
    cases: list[JsonObject] = [{}, {"time": None}, {"other": "2005-12-04"}]
    for fields in cases:
        result = fn(ev(fields))
        assert isinstance(result, Pass)
        assert result.event.fields == fields


@pytest.mark.parametrize("value", ["yesterday", "", True, [1], {"a": 1}, "04/Dec/2005", 12.5])
def test_no_format_matches_fails_passes_or_drops(value: Json) -> None:
    event = ev({"time": value})
    config: dict[str, Any] = {"field": "time", "formats": [APACHE, "iso8601"]}
    with pytest.raises(FunctionFailed, match=r"^timestamp: no format matches "):
        build(**config)(event)
    passed = build(**config, on_failure="pass")(event)
    assert isinstance(passed, Pass)
    assert passed.event is event
    dropped = build(**config, on_failure="drop")(event)
    assert isinstance(dropped, Drop)
    assert dropped.reason == f"timestamp: no format matches {value!r}"


def test_the_target_may_be_nested_and_the_source_is_kept() -> None:
    result = build(field="t", formats=["unix"], target="event.created")(ev({"t": 0}))
    assert isinstance(result, Pass)
    assert result.event.fields == {"t": 0, "event": {"created": "1970-01-01T00:00:00.000Z"}}


@pytest.mark.parametrize(
    ("config", "problems"),
    [
        (
            {"formats": ["iso8601", "%d/%q/%Y"]},
            [Problem("formats[1]", "bad strftime format: 'q' is a bad directive in format '%d/%q/%Y'")],
        ),
        (
            {"formats": ["iso", "unix", "%Y %"]},
            [
                Problem("formats[0]", f"not a strftime format (no % directive) nor one of {NAMES}"),
                Problem("formats[2]", "bad strftime format: stray % in format '%Y %'"),
            ],
        ),
        (
            {"formats": ["unix"], "timezone": "Mars/Olympus"},
            [Problem("timezone", "unknown time zone 'Mars/Olympus' (an IANA name, e.g. Europe/Paris)")],
        ),
        (
            {"formats": ["unix"], "timezone": "../../etc/passwd"},
            [Problem("timezone", "unknown time zone '../../etc/passwd' (an IANA name, e.g. Europe/Paris)")],
        ),
        ({"formats": ["unix"], "target": "a..b"}, [Problem("target", "not a field path: 'a..b'")]),
        (
            {"field": "", "formats": ["unix", "%Q"], "timezone": "Nowhere", "target": "."},
            [
                Problem("field", "not a field path: ''"),
                Problem("formats[1]", "bad strftime format: 'Q' is a bad directive in format '%Q'"),
                Problem("timezone", "unknown time zone 'Nowhere' (an IANA name, e.g. Europe/Paris)"),
                Problem("target", "not a field path: '.'"),
            ],
        ),
        ({"field": "a[", "formats": ["unix"]}, [Problem("field", "not a field path: 'a['")]),
        ({"formats": []}, [Problem("formats", "List should have at least 1 item after validation, not 0")]),
        (
            {"formats": ["unix"], "default_year": 0},
            [Problem("default_year", "Input should be greater than or equal to 1")],
        ),
    ],
)
def test_config_problems_have_their_place(config: dict[str, Any], problems: list[Problem]) -> None:
    assert timestamp({"field": "time"} | config) == Failure(tuple(problems))
