"""JSON-native values: what an event's fields may hold."""

from __future__ import annotations

from typing import TypeAlias

Json: TypeAlias = bool | int | float | str | list["Json"] | dict[str, "Json"] | None
"""A JSON-native value: null, boolean, number, string, list or object."""

JsonObject: TypeAlias = dict[str, Json]
"""A JSON object: the fields of an event."""

__all__ = ["Json", "JsonObject"]
