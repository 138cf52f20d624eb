"""Reading an OTLP event's fields back, typed, for the way out: each reader raises ``NotOtlp``.

The readers invert ``domain/otlp``: ISO times back to nanoseconds, hex ids back to bytes, enum
names back to numbers; ``null`` reads as the field's unset value.
"""

from __future__ import annotations

from typing import final

from pipeflow.domain.json import Json, JsonObject
from pipeflow.domain.otlp.values import enum_index, id_bytes, unix_nano

__all__ = [
    "NotOtlp",
    "read_enum",
    "read_float",
    "read_id",
    "read_int",
    "read_object",
    "read_text",
    "read_time",
]


@final
class NotOtlp(Exception):
    """An event's field does not hold what the OTLP mapping puts there (the reason is the message)."""


def read_text(fields: JsonObject, key: str) -> str:
    """A text field (``null``: empty)."""
    value = fields.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise NotOtlp(f"{key} is not text")
    return value


def read_time(fields: JsonObject, key: str) -> int:
    """An ISO 8601 time as nanoseconds since the epoch (``null``: 0)."""
    nanos = unix_nano(fields.get(key))
    if nanos is None:
        raise NotOtlp(f"{key} is not an ISO 8601 time with a zone")
    return nanos


def read_id(fields: JsonObject, key: str, size: int) -> bytes:
    """A hex id of ``size`` bytes (``null``: empty)."""
    raw = id_bytes(fields.get(key), size)
    if raw is None:
        raise NotOtlp(f"{key} is not {2 * size} hex digits")
    return raw


def read_int(fields: JsonObject, key: str) -> int:
    """An integer field (``null``: 0)."""
    value = fields.get(key)
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int):
        raise NotOtlp(f"{key} is not an integer")
    return value


def read_float(value: Json, key: str) -> float:
    """A number as a float."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise NotOtlp(f"{key} is not a number")
    return float(value)


def read_object(fields: JsonObject, key: str) -> JsonObject:
    """An object field (``null``: empty)."""
    value = fields.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise NotOtlp(f"{key} is not an object")
    return value


def read_enum(fields: JsonObject, key: str, names: tuple[str, ...]) -> int:
    """An enum field by name (``null``: 0)."""
    value = fields.get(key)
    if value is None:
        return 0
    number = enum_index(names, value)
    if number is None:
        raise NotOtlp(f"{key} is not one of {', '.join(names)}")
    return number
