"""Decoding lines read from a file into events whose ids come from the lines' offsets.

``decode_lines`` gives every event a fresh id; a file source gives each the id of its line
(``infrastructure.ids.LineIds``), so a line read again after a crash is the same event to a sink
that keys by id.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from domain.events import Event, EventId, EventMeta
from domain.ports import Clock, Rejected
from infrastructure.sources.decode import DEFAULT_MAX_LINE_BYTES, Format, decode_one

__all__ = ["decode_identified"]


def decode_identified(
    lines: Sequence[bytes],
    line_ids: Callable[[int], EventId],
    fmt: Format,
    source: str,
    clock: Clock,
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
) -> tuple[list[Event], list[Rejected]]:
    """As ``decode_lines``, but the event of ``lines[k]`` gets the id ``line_ids(k)``."""
    meta = EventMeta(source, clock.now())
    events: list[Event] = []
    rejected: list[Rejected] = []
    for k, raw in enumerate(lines):
        if not raw.strip():
            continue
        if len(raw) > max_line_bytes:
            rejected.append(Rejected(raw[:max_line_bytes], f"line over max_line_bytes ({len(raw)} bytes)"))
            continue
        fields = decode_one(raw, fmt)
        if isinstance(fields, str):
            rejected.append(Rejected(raw, fields))
        else:
            events.append(Event(line_ids(k), meta, fields))
    return events, rejected
