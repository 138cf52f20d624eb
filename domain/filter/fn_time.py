"""Expression functions on times: ``parse_timestamp`` and ``format_timestamp``, in UTC, with no clock.

A time is a number of seconds since the epoch. Formats are strftime directives or ``"iso8601"``;
both functions share ``domain.parsers.timestamp`` with the ``timestamp`` function. Text without
an offset is read as UTC; a format without a year matches nothing (there is no clock to take the
year from). Anything that does not fit (a bad format, a time outside years 1 to 9999) gives null.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta

from pipeflow.domain.filter.values import finite, is_number
from pipeflow.domain.json import Json
from pipeflow.domain.parsers import timestamp as ts

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# What strptime and strftime may raise on a format or a text they refuse: each means "no value".
_REFUSED = (ValueError, TypeError, OverflowError, IndexError, KeyError, re.error, MemoryError)


def parse_timestamp(s: Json, fmt: Json) -> Json:
    """Seconds since the epoch (a float) of the text ``s`` read by ``fmt``; null when it does not parse.

    >>> parse_timestamp("2024-06-01T12:00:00.5+02:00", "iso8601")
    1717236000.5
    >>> parse_timestamp("04/Dec/2005:04:47:44 +0100", "%d/%b/%Y:%H:%M:%S %z")
    1133668064.0
    >>> parse_timestamp("Dec  4 04:47:44", "%b %d %H:%M:%S"), parse_timestamp("x", "iso8601")
    (None, None)
    """
    if not isinstance(s, str) or not isinstance(fmt, str) or fmt in ts.UNIX_EXPONENTS:
        return None  # the epoch names of the ``timestamp`` function are not strftime formats
    try:
        moment = ts.parse_time(s, fmt, UTC, None)
    except _REFUSED:
        return None
    return None if moment is None else finite((moment - _EPOCH).total_seconds())


def format_timestamp(t: Json, fmt: Json) -> Json:
    """The epoch time ``t`` as text in UTC by a strftime ``fmt``, or ``"iso8601"`` (milliseconds and ``Z``).

    >>> format_timestamp(1133668064.25, "iso8601"), format_timestamp(0, "%Y-%m-%d %H:%M")
    ('2005-12-04T03:47:44.250Z', '1970-01-01 00:00')
    >>> format_timestamp(1e300, "iso8601"), format_timestamp(True, "iso8601")
    (None, None)
    >>> format_timestamp(0.9999996, "iso8601")  # truncated, never rounded into the next second
    '1970-01-01T00:00:00.999Z'
    """
    if not is_number(t) or not isinstance(fmt, str):
        return None
    try:
        # Whole microseconds, rounded down (``timedelta(seconds=t)`` rounds to the nearest one).
        moment = _EPOCH + timedelta(microseconds=math.floor(t * 1_000_000))
        return ts.format_timestamp(moment) if fmt == "iso8601" else moment.strftime(fmt)
    except (*_REFUSED, UnicodeError):
        return None


__all__ = ["format_timestamp", "parse_timestamp"]
