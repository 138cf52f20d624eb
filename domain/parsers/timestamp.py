"""Times written in many ways (strftime formats, ISO 8601, epoch numbers) into one ISO 8601 UTC form.

``parse_time`` reads one value with one format and gives an aware UTC ``datetime`` or ``None``;
``format_timestamp`` writes it as ``2005-12-04T04:47:44.000Z`` (always three fractional digits,
truncated, never rounded up into the next second). Nothing here reads a clock or a time zone
database: the caller passes the zone (a ``tzinfo``) for text without an offset and the year for
formats without one.

Formats are strftime directives (``%d/%b/%Y:%H:%M:%S %z``) or a name: ``iso8601`` (what
``datetime.fromisoformat`` reads: ``2024-06-01T12:00:00.123+02:00``, ``...Z``, a space for ``T``,
any number of fractional digits, a date alone) or ``unix``, ``unix_ms``, ``unix_us``, ``unix_ns``
(a number, or a string holding one, of seconds, milliseconds, micro- or nanoseconds since the
epoch). ``%Z`` reads a zone name but, as ``datetime.strptime`` does, sets no offset.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta, tzinfo
from decimal import ROUND_FLOOR, Decimal
from typing import Final

from pipeflow.domain.json import Json

UNIX_EXPONENTS: Final = {"unix": 0, "unix_ms": 3, "unix_us": 6, "unix_ns": 9}
"""The epoch formats, by the power of ten of units in one second."""

NAMED_FORMATS: Final = ("iso8601", *UNIX_EXPONENTS)
"""The format names that are not strftime directives."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_YEAR_DIRECTIVES = re.compile(r"%[YyGcx]")
_DIRECTIVE = re.compile(r"%.")
_PROBE = datetime(2005, 12, 4, 4, 47, 44, 120000, tzinfo=UTC)


def format_timestamp(moment: datetime) -> str:
    """ISO 8601 in UTC with milliseconds (truncated) and ``Z``; ``moment`` must be aware.

    >>> format_timestamp(datetime(2005, 12, 4, 4, 47, 44, 999999, tzinfo=UTC))
    '2005-12-04T04:47:44.999Z'
    """
    u = moment.astimezone(UTC)
    return (
        f"{u.year:04d}-{u.month:02d}-{u.day:02d}T{u.hour:02d}:{u.minute:02d}:{u.second:02d}"
        f".{u.microsecond // 1000:03d}Z"
    )


def needs_year(fmt: str) -> bool:
    """Whether a strftime format has no year of its own (syslog's ``%b %d %H:%M:%S``).

    >>> needs_year("%b %d %H:%M:%S"), needs_year("%d/%b/%Y:%H:%M:%S %z"), needs_year("unix")
    (True, False, False)
    """
    if fmt in NAMED_FORMATS:
        return False
    return _YEAR_DIRECTIVES.search(fmt.replace("%%", "")) is None


def format_problem(fmt: str) -> str | None:
    """Why ``fmt`` is not a usable format, or ``None`` when it is.

    A strftime format is checked by writing a known time with it and reading that back, so a
    bad directive, a repeated one or an incomplete ISO week set is found here, not per event.

    >>> format_problem("%d/%b/%Y:%H:%M:%S %z") is None, format_problem("iso8601") is None
    (True, True)
    >>> format_problem("%Y-%q")
    "bad strftime format: 'q' is a bad directive in format '%Y-%q'"
    >>> format_problem("iso8061")
    'not a strftime format (no % directive) nor one of iso8601, unix, unix_ms, unix_us, unix_ns'
    """
    if fmt in NAMED_FORMATS:
        return None
    if _DIRECTIVE.search(fmt.replace("%%", "")) is None:
        return f"not a strftime format (no % directive) nor one of {', '.join(NAMED_FORMATS)}"
    full = f"%Y {fmt}" if needs_year(fmt) else fmt
    try:
        _compiles(fmt)  # a bad or repeated directive, reported in the user's own format
        datetime.strptime(_PROBE.strftime(full), full)
    except (ValueError, re.error) as exc:
        return f"bad strftime format: {exc}"
    return None


def _compiles(fmt: str) -> None:
    """Raise what ``strptime`` raises for ``fmt`` itself (nothing when only the text does not match)."""
    try:
        datetime.strptime("", fmt)
    except ValueError as exc:
        if "does not match format" not in str(exc):
            raise


def parse_time(value: Json, fmt: str, zone: tzinfo, year: int | None) -> datetime | None:
    """``value`` read with ``fmt`` as an aware UTC time, or ``None`` when it does not fit.

    ``zone`` applies to text without an offset; ``year`` to a format without one (``None``:
    such a format matches nothing).

    >>> parse_time("04/Dec/2005:04:47:44 +0100", "%d/%b/%Y:%H:%M:%S %z", UTC, None)
    datetime.datetime(2005, 12, 4, 3, 47, 44, tzinfo=datetime.timezone.utc)
    >>> parse_time("Dec  4 04:47:44", "%b %d %H:%M:%S", UTC, 2005).isoformat()
    '2005-12-04T04:47:44+00:00'
    >>> parse_time("1133671664123", "unix_ms", UTC, None).isoformat()
    '2005-12-04T04:47:44.123000+00:00'
    >>> parse_time("yesterday", "iso8601", UTC, None) is None
    True
    """
    exponent = UNIX_EXPONENTS.get(fmt)
    if exponent is not None:
        return _epoch(value, exponent)
    if not isinstance(value, str):
        return None
    try:
        if fmt == "iso8601":
            moment = datetime.fromisoformat(value.strip())
        elif needs_year(fmt):
            if year is None:
                return None
            moment = datetime.strptime(f"{year:04d} {value}", f"%Y {fmt}")
        else:
            moment = datetime.strptime(value, fmt)
        return (moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)).astimezone(UTC)
    except (ValueError, OverflowError):  # not this format, or a time past year 1 or 9999 in UTC
        return None


def epoch_seconds(value: Json) -> float | None:
    """Epoch seconds from a finite number or an ISO 8601 string (UTC when no offset is given), or ``None``.

    >>> epoch_seconds(1.5), epoch_seconds("1970-01-01T01:01:00+01:00")
    (1.5, 60.0)
    >>> epoch_seconds("60"), epoch_seconds(True), epoch_seconds(float("inf"))
    (None, None, None)
    """
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value if math.isfinite(value) else None


def year_at(epoch_seconds: float, zone: tzinfo) -> int | None:
    """The year in ``zone`` at an epoch time (an event's ingest time), or ``None`` out of range.

    >>> year_at(1133671664.0, UTC), year_at(1e20, UTC)
    (2005, None)
    """
    try:
        return (_EPOCH + timedelta(seconds=epoch_seconds)).astimezone(zone).year
    except (OverflowError, ValueError):
        return None


def _epoch(value: Json, exponent: int) -> datetime | None:
    amount = _decimal(value)
    if amount is None:
        return None
    if not amount.is_zero() and amount.adjusted() - exponent > 12:  # past year 9999: no giant ints
        return None
    micros = int(amount.scaleb(6 - exponent).to_integral_value(rounding=ROUND_FLOOR))
    try:
        return _EPOCH + timedelta(microseconds=micros)
    except OverflowError:
        return None


def _decimal(value: Json) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value)) if math.isfinite(value) else None
    if isinstance(value, str) and len(value) <= 64 and _NUMBER.fullmatch(text := value.strip()):
        return Decimal(text)  # the regex admits only numbers Decimal reads
    return None


__all__ = [
    "NAMED_FORMATS",
    "UNIX_EXPONENTS",
    "epoch_seconds",
    "format_problem",
    "format_timestamp",
    "needs_year",
    "parse_time",
    "year_at",
]
