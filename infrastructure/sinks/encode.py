"""Encoding events for sinks: the event's fields only, one JSON object per line."""

from __future__ import annotations

from collections.abc import Iterable

import orjson

from pipeflow.domain.events import Event

_OPT = orjson.OPT_APPEND_NEWLINE


def encode_ndjson(events: Iterable[Event]) -> bytes:
    """NDJSON bytes for a batch: one object per line, each line ending in a newline."""
    dumps = orjson.dumps
    return b"".join(dumps(e.fields, option=_OPT) for e in events)


__all__ = ["encode_ndjson"]
