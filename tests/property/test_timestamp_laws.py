"""Laws of the time conversions: what ``format_timestamp`` writes, each format reads back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from pipeflow.domain.events import Event, EventId, EventMeta
from pipeflow.domain.json import Json
from pipeflow.domain.parsers.timestamp import UNIX_EXPONENTS, format_timestamp, parse_time
from pipeflow.domain.results import Pass
from pipeflow.infrastructure.functions.timestamp import plugin as timestamp
from tests.strategies import fixed_offsets, utc_millis

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@given(utc_millis)
def test_format_then_parse_iso8601_is_identity(moment: datetime) -> None:
    assert parse_time(format_timestamp(moment), "iso8601", UTC, None) == moment


@given(utc_millis, st.sampled_from(sorted(UNIX_EXPONENTS)), st.booleans())
def test_epoch_numbers_round_trip(moment: datetime, fmt: str, as_text: bool) -> None:
    micros = (moment - EPOCH) // timedelta(microseconds=1)
    units = Decimal(micros).scaleb(UNIX_EXPONENTS[fmt] - 6)  # exact: seconds keep a fraction
    value: Json = str(units) if as_text or units != int(units) else int(units)
    parsed = parse_time(value, fmt, UTC, None)
    assert parsed is not None
    assert format_timestamp(parsed) == format_timestamp(moment)


@given(utc_millis.filter(lambda d: 1000 <= d.year <= 9998), fixed_offsets)
def test_apache_time_in_any_offset_round_trips(moment: datetime, offset: timezone) -> None:
    moment = moment.replace(microsecond=0)
    text = moment.astimezone(offset).strftime("%d/%b/%Y:%H:%M:%S %z")
    assert parse_time(text, "%d/%b/%Y:%H:%M:%S %z", UTC, None) == moment


@given(utc_millis.filter(lambda d: 1000 <= d.year <= 9999))
def test_a_year_less_format_with_the_year_round_trips(moment: datetime) -> None:
    moment = moment.replace(microsecond=0)
    text = moment.strftime("%b %d %H:%M:%S")
    assert parse_time(text, "%b %d %H:%M:%S", UTC, moment.year) == moment


@given(utc_millis, st.floats(0, 4e9))
def test_the_timestamp_function_is_idempotent(moment: datetime, received_at: float) -> None:
    fn = timestamp({"field": "t", "formats": ["iso8601", "unix"]}).unwrap()
    event = Event(EventId("e"), EventMeta("s", received_at), {"t": format_timestamp(moment)})
    once = fn(event)
    assert isinstance(once, Pass)
    twice = fn(once.event)
    assert isinstance(twice, Pass)
    assert twice.event.fields == once.event.fields == event.fields
