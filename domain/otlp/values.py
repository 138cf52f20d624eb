"""The scalar conventions of OTLP events: times, ids and enum names, both ways.

Times are ISO 8601 in UTC with nine fractional digits (OTLP counts nanoseconds, so nothing is
rounded); ids are lowercase hex. An unset time (0) or id (empty) is ``null``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from pipeflow.domain.json import Json

__all__ = [
    "SPAN_KINDS",
    "STATUS_CODES",
    "TEMPORALITIES",
    "enum_index",
    "enum_name",
    "hex_id",
    "id_bytes",
    "iso_time",
    "unix_nano",
]

SPAN_KINDS = ("unspecified", "internal", "server", "client", "producer", "consumer")
"""A span's ``kind`` by its OTLP enum number."""

STATUS_CODES = ("unset", "ok", "error")
"""A span status's ``code`` by its OTLP enum number."""

TEMPORALITIES = ("unspecified", "delta", "cumulative")
"""A metric's ``temporality`` by its OTLP enum number."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ISO = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)")


def iso_time(unix_nano: int) -> str | None:
    """Nanoseconds since the epoch as ISO 8601 UTC with nine fractional digits; 0 (unset) is ``None``.

    >>> iso_time(1_700_000_000_123_456_789), iso_time(0)
    ('2023-11-14T22:13:20.123456789Z', None)
    """
    if unix_nano == 0:
        return None
    seconds, nanos = divmod(unix_nano, 1_000_000_000)
    moment = _EPOCH + timedelta(seconds=seconds)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{nanos:09d}Z"


def unix_nano(value: Json) -> int | None:
    """An ISO 8601 time (with a zone) back as nanoseconds since the epoch; ``null`` is 0; else ``None``.

    >>> unix_nano("2023-11-14T22:13:20.123456789Z"), unix_nano("2023-11-14T23:13:20.5+01:00")
    (1700000000123456789, 1700000000500000000)
    >>> unix_nano(None), unix_nano("yesterday"), unix_nano(12)
    (0, None, None)
    """
    if value is None:
        return 0
    if not isinstance(value, str) or (match := _ISO.fullmatch(value)) is None:
        return None
    whole, fraction, zone = match.groups()
    try:
        moment = datetime.fromisoformat(whole + ("+00:00" if zone == "Z" else zone))
    except ValueError:
        return None
    seconds = (moment - _EPOCH) // timedelta(seconds=1)
    return seconds * 1_000_000_000 + int((fraction or "0").ljust(9, "0"))


def hex_id(raw: bytes) -> str | None:
    """A trace or span id as lowercase hex; empty (unset) is ``None``.

    >>> hex_id(bytes([0xAB, 0x01])), hex_id(b"")
    ('ab01', None)
    """
    return raw.hex() if raw else None


def id_bytes(value: Json, size: int) -> bytes | None:
    """A hex id of ``size`` bytes back as bytes; ``null`` is empty; anything else is ``None``.

    >>> id_bytes("ab01", 2), id_bytes(None, 8), id_bytes("xyz", 2), id_bytes("ab", 2)
    (b'\\xab\\x01', b'', None, None)
    """
    if value is None:
        return b""
    if not isinstance(value, str) or len(value) != 2 * size:
        return None
    try:
        return bytes.fromhex(value)
    except ValueError:
        return None


def enum_name(names: tuple[str, ...], number: int) -> str:
    """The name of an enum number (an unknown number is written as itself).

    >>> enum_name(SPAN_KINDS, 2), enum_name(SPAN_KINDS, 9)
    ('server', '9')
    """
    return names[number] if 0 <= number < len(names) else str(number)


def enum_index(names: tuple[str, ...], value: Json) -> int | None:
    """An enum name (or the number an unknown one was written as) back as its number; else ``None``.

    >>> enum_index(SPAN_KINDS, "server"), enum_index(SPAN_KINDS, "9"), enum_index(SPAN_KINDS, "x")
    (2, 9, None)
    """
    if not isinstance(value, str):
        return None
    if value in names:
        return names.index(value)
    return int(value) if value.isdigit() else None
