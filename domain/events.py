"""The event: the one high-volume value that flows through pipeflow.

An ``Event`` is immutable. Every change returns a new event that shares the untouched parts
of the old one (structural sharing), so a function never pays for a deep copy and a fan-out
never needs one: two routes holding the same event cannot see each other's changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NewType, final

from pipeflow.domain.json import Json, JsonObject
from pipeflow.domain.paths import MISSING, Path, get_in, parse_path, remove_in, set_in

EventId = NewType("EventId", str)
"""An event's identity: a ULID string made by the ``IdFactory`` port when the event is read."""


@final
@dataclass(frozen=True, slots=True)
class EventMeta:
    """Where and when an event entered pipeflow (not part of its fields)."""

    source: str
    received_at: float  # epoch seconds, read from the Clock port by the source


@final
@dataclass(frozen=True, slots=True)
class Event:
    """An immutable event: an id, metadata and JSON-native fields.

    >>> e = Event(EventId("01J"), EventMeta("app", 0.0), {"user": {"email": "a@b.c"}})
    >>> e.get("user.email")
    'a@b.c'
    >>> e2 = e.with_field("level", "info")
    >>> e.get("level") is None, e2.get("level")
    (True, 'info')
    """

    id: EventId
    meta: EventMeta
    fields: JsonObject  # never mutated: every change below builds a new dict

    def get(self, path: str | Path, default: Json = None) -> Json:
        """The value at a field path (``user.email``, ``tags[0]``), or ``default`` when absent."""
        value = get_in(self.fields, _as_path(path))
        return default if value is MISSING else value  # type: ignore[return-value]

    def has(self, path: str | Path) -> bool:
        """Whether the field at ``path`` exists (a ``null`` value exists)."""
        return get_in(self.fields, _as_path(path)) is not MISSING

    def with_field(self, path: str | Path, value: Json) -> Event:
        """A new event with ``value`` at ``path`` (objects on the way are created)."""
        p = _as_path(path)
        if len(p) == 1 and isinstance(p[0], str):
            fields = dict(self.fields)
            fields[p[0]] = value
            return Event(self.id, self.meta, fields)
        return Event(self.id, self.meta, set_in(self.fields, p, value))

    def with_fields(self, updates: JsonObject) -> Event:
        """A new event with several top-level fields set at once."""
        return Event(self.id, self.meta, {**self.fields, **updates})

    def without_field(self, path: str | Path) -> Event:
        """A new event without the field at ``path`` (the same event when it is absent)."""
        fields = remove_in(self.fields, _as_path(path))
        return self if fields is self.fields else Event(self.id, self.meta, fields)

    def replace_fields(self, fields: JsonObject) -> Event:
        """A new event with the same identity and metadata and these fields."""
        return Event(self.id, self.meta, fields)

    def with_id(self, event_id: EventId) -> Event:
        """A new event with another id (the pieces of a split get their own ids)."""
        return Event(event_id, self.meta, self.fields)


class InvalidPath(ValueError):
    """Raised for a malformed field path given in code (config paths are checked at load)."""


def _as_path(path: str | Path) -> Path:
    if isinstance(path, tuple):
        return path
    parsed = parse_path(path)
    if parsed is None:
        raise InvalidPath(f"not a field path: {path!r}")
    return parsed


__all__ = ["Event", "EventId", "EventMeta", "InvalidPath"]
