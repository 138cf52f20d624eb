"""Elasticsearch ``_bulk``: the NDJSON request body and the answer, read item by item.

Pure functions over bytes and values; the ``elasticsearch`` sink (``elasticsearch.py``) does the I/O.
Every document is a ``create`` action keyed by the event id, so a document sent twice is answered
409 (already there) and never stored twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, TypeAlias, final

import orjson

from pipeflow.domain.events import Event
from pipeflow.domain.json import Json, JsonObject

__all__ = ["Item", "ItemOutcome", "bulk_body", "error_text", "event_time", "index_name", "read_items"]

ItemOutcome: TypeAlias = Literal["written", "retry", "rejected"]
"""What an item's status means: stored (201, 200, 409), to send again (429, 5xx), or refused."""

_MS_FROM = 1e11
"""An epoch number above this is in milliseconds (1e11 seconds is in the year 5138)."""


def event_time(fields: JsonObject) -> float | None:
    """The event's own time (epoch seconds) from ``@timestamp`` or ``timestamp``, if one is readable.

    ISO 8601 strings (a time without offset is UTC) and epoch numbers (seconds, or milliseconds
    when above 1e11) are read; anything else is no time.

    >>> event_time({"@timestamp": "2024-03-05T10:00:00Z"}), event_time({"timestamp": 1709632800000})
    (1709632800.0, 1709632800.0)
    >>> event_time({"timestamp": "yesterday"}) is None, event_time({"timestamp": True}) is None
    (True, True)
    """
    for key in ("@timestamp", "timestamp"):
        seconds = _seconds(fields.get(key))
        if seconds is not None and -62135596800.0 <= seconds < 253402300800.0:  # years 1 to 9999
            return seconds
    return None


def _seconds(value: Json) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value) / 1000 if abs(value) > _MS_FROM else float(value)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
            return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()
        except (ValueError, OverflowError):
            return None
    return None


def index_name(pattern: str, fields: JsonObject, now: float) -> str:
    """The index of a document: ``pattern`` through strftime at the event's time (UTC), else ``now``.

    >>> index_name("logs-%Y.%m.%d", {"@timestamp": "2024-03-05T23:30:00-02:00"}, 0.0)
    'logs-2024.03.06'
    >>> index_name("logs-%Y.%m.%d", {"message": "no time"}, 86400.0)
    'logs-1970.01.02'
    """
    at = event_time(fields)
    return datetime.fromtimestamp(now if at is None else at, UTC).strftime(pattern)


def bulk_body(events: Sequence[Event], pattern: str, now: float) -> tuple[bytes, list[str | None]]:
    """The ``_bulk`` NDJSON body (``create`` action line, then source line, per event) and problems.

    The second value holds, per event, why it could not be encoded (it is left out of the body),
    or ``None`` for the events in the body.

    >>> from pipeflow.domain.events import EventId, EventMeta
    >>> body, problems = bulk_body([Event(EventId("E1"), EventMeta("s", 0.0), {"n": 1})], "i-%Y", 0.0)
    >>> body.decode(), problems
    ('{"create":{"_index":"i-1970","_id":"E1"}}\\n{"n":1}\\n', [None])
    """
    dumps = orjson.dumps
    parts: list[bytes] = []
    problems: list[str | None] = []
    for event in events:
        try:
            source = dumps(event.fields)
        except orjson.JSONEncodeError as exc:
            problems.append(f"event not encodable as JSON: {exc}")
            continue
        action = {"create": {"_index": index_name(pattern, event.fields, now), "_id": event.id}}
        parts.append(b"%s\n%s\n" % (dumps(action), source))
        problems.append(None)
    return b"".join(parts), problems


@final
@dataclass(frozen=True, slots=True)
class Item:
    """One document's answer: its status, what it means, and Elasticsearch's reason when refused."""

    status: int
    outcome: ItemOutcome
    reason: str


def _reason(error: object) -> str:
    """``type: reason (caused by type: reason)`` from an item's ``error`` object."""
    if not isinstance(error, dict):
        return str(error) if error else "no reason given"
    text = f"{error.get('type', 'error')}: {error.get('reason', '')}".rstrip(": ")
    cause = error.get("caused_by")
    return f"{text} (caused by {_reason(cause)})" if isinstance(cause, dict) else text


def error_text(answer: bytes) -> str:
    """The reason in a whole request's error answer (``{"error": {...}, "status": 401}``), else its text.

    >>> error_text(b'{"error":{"type":"security_exception","reason":"missing credentials"},"status":401}')
    'security_exception: missing credentials'
    >>> error_text(b"Request Entity Too Large")
    'Request Entity Too Large'
    """
    try:
        parsed = orjson.loads(answer)
    except orjson.JSONDecodeError:
        return answer[:200].decode("utf-8", "replace").strip()
    if isinstance(parsed, dict) and "error" in parsed:
        return _reason(parsed["error"])[:500]
    return answer[:200].decode("utf-8", "replace").strip()


def _outcome(status: int) -> ItemOutcome:
    if 200 <= status < 300 or status == 409:  # 409: a document with this _id is already there
        return "written"
    if status == 429 or status >= 500:
        return "retry"
    return "rejected"


def read_items(answer: bytes, expected: int) -> list[Item] | str:
    """The items of a ``_bulk`` answer, in request order, or why the answer cannot be read.

    >>> read_items(b'{"errors":false,"items":[{"create":{"_id":"E1","status":201}}]}', 1)
    [Item(status=201, outcome='written', reason='')]
    >>> read_items(b'{"items":[]}', 1)
    'the answer holds 0 items for 1 documents'
    """
    try:
        parsed = orjson.loads(answer)
    except orjson.JSONDecodeError:
        return "the answer is not JSON: " + answer[:200].decode("utf-8", "replace")
    items = parsed.get("items") if isinstance(parsed, dict) else None
    if not isinstance(items, list) or len(items) != expected:
        count = len(items) if isinstance(items, list) else "no"
        return f"the answer holds {count} items for {expected} documents"
    out: list[Item] = []
    for item in items:
        result = next(iter(item.values()), None) if isinstance(item, dict) and len(item) == 1 else None
        status = result.get("status") if isinstance(result, dict) else None
        if not isinstance(status, int) or isinstance(status, bool):
            return "an item of the answer has no status: " + orjson.dumps(item).decode()[:200]
        assert isinstance(result, dict)
        outcome = _outcome(status)
        reason = "" if outcome == "written" else f"HTTP {status} {_reason(result.get('error'))}"
        out.append(Item(status, outcome, reason))
    return out
