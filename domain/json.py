"""JSON-native values: what an event's fields may hold."""

from __future__ import annotations

from typing import Final, TypeAlias

Json: TypeAlias = bool | int | float | str | list["Json"] | dict[str, "Json"] | None
"""A JSON-native value: null, boolean, number, string, list or object."""

JsonObject: TypeAlias = dict[str, Json]
"""A JSON object: the fields of an event."""

INT_MIN: Final = -(1 << 63)
"""The least integer a sink can write (JSON writers take 64-bit integers; an event may hold more)."""
INT_MAX: Final = (1 << 64) - 1
"""The greatest integer a sink can write (an unsigned 64-bit one)."""

__all__ = ["INT_MAX", "INT_MIN", "Json", "JsonObject"]
