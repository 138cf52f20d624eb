"""Turning raw input lines into events (``ndjson`` or ``lines``) or rejects, never raising."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Literal, TypeAlias

import orjson

from pipeflow.domain.events import Event, EventId, EventMeta
from pipeflow.domain.json import JsonObject
from pipeflow.domain.ports import Clock, IdFactory, Rejected

Format: TypeAlias = Literal["ndjson", "lines"]
"""How a source's lines become events."""

DEFAULT_MAX_LINE_BYTES = 1 << 20


def decode_lines(
    lines: Iterable[bytes],
    fmt: Format,
    source: str,
    ids: IdFactory,
    clock: Clock,
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
) -> tuple[list[Event], list[Rejected]]:
    """Decode lines (without their newline) into events; bad lines become ``Rejected`` with a reason.

    Empty lines are skipped. ``ndjson`` lines must be JSON objects; ``lines`` become
    ``{"message": line}`` and must be valid UTF-8.
    """
    new_id = ids.new_id
    return decode_identified(list(lines), lambda _: new_id(), fmt, source, clock, max_line_bytes)


def decode_identified(
    lines: Sequence[bytes],
    line_ids: Callable[[int], EventId],
    fmt: Format,
    source: str,
    clock: Clock,
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
) -> tuple[list[Event], list[Rejected]]:
    """As ``decode_lines``, but the event of ``lines[k]`` gets the id ``line_ids(k)``.

    A file source passes the ids of its lines (``infrastructure.ids.LineIds``), so a line read
    again after a crash is the same event to a sink that keys by id.
    """
    meta = EventMeta(source, clock.now())
    events: list[Event] = []
    rejected: list[Rejected] = []
    for k, raw in enumerate(lines):
        if not raw.strip():
            continue
        if len(raw) > max_line_bytes:
            reason = f"line over max_line_bytes ({len(raw)} bytes)"
            rejected.append(Rejected(raw[:max_line_bytes], reason, line_ids(k)))
            continue
        fields = decode_one(raw, fmt)
        if isinstance(fields, str):
            rejected.append(Rejected(raw, fields, line_ids(k)))
        else:
            events.append(Event(line_ids(k), meta, fields))
    return events, rejected


def decode_one(raw: bytes, fmt: Format) -> JsonObject | str:
    """The fields of one line, or the reason it cannot be an event."""
    if fmt == "lines":
        try:
            return {"message": raw.decode("utf-8").rstrip("\r")}
        except UnicodeDecodeError as exc:
            return f"invalid UTF-8: {exc.reason} at byte {exc.start}"
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        return invalid_json_reason(raw, exc)
    if not isinstance(value, dict):
        return f"not a JSON object: {type(value).__name__}"
    return value


def invalid_json_reason(raw: bytes, exc: orjson.JSONDecodeError) -> str:
    """Why orjson refused ``raw``: its words, but bytes that are not UTF-8 said as such (orjson
    says "str is not valid UTF-8: surrogates not allowed" of them).

    >>> invalid_json_reason(b'{"a": "\\xff"}', orjson.JSONDecodeError("str is not valid UTF-8", "", 0))
    'invalid UTF-8: invalid start byte at byte 7'
    """
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as bad:
        return f"invalid UTF-8: {bad.reason} at byte {bad.start}"
    return f"invalid JSON: {exc}"


__all__ = [
    "DEFAULT_MAX_LINE_BYTES",
    "Format",
    "decode_identified",
    "decode_lines",
    "decode_one",
    "invalid_json_reason",
]
