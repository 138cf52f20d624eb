"""Metric samples read from events for Prometheus: valid names and labels, or the reason there is none.

A sample is one value of one series: a metric name, a label set, a number, a time (or none: the
sink stamps the time of sending) and whether it counts up (a counter) or is a level (a gauge).
Names and label names are made valid for Prometheus: each invalid character becomes ``_``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import final

from pipeflow.domain.events import Event
from pipeflow.domain.json import Json
from pipeflow.domain.parsers.timestamp import epoch_seconds

__all__ = ["Sample", "SampleFields", "read_sample", "sanitize_label_name", "sanitize_metric_name"]

_NAME_INVALID = re.compile(r"[^a-zA-Z0-9_:]")
_LABEL_INVALID = re.compile(r"[^a-zA-Z0-9_]")


def sanitize_metric_name(name: str) -> str:
    """``name`` as a valid Prometheus metric name: invalid characters become ``_``.

    >>> sanitize_metric_name("api.latency-ms"), sanitize_metric_name("5xx"), sanitize_metric_name("a:b")
    ('api_latency_ms', '_5xx', 'a:b')
    """
    cleaned = _NAME_INVALID.sub("_", name)
    return f"_{cleaned}" if cleaned[:1].isdigit() else cleaned


def sanitize_label_name(name: str) -> str:
    """``name`` as a valid label name: invalid characters become ``_``; ``__`` (reserved) becomes ``_``.

    >>> sanitize_label_name("http.status"), sanitize_label_name("1st"), sanitize_label_name("__name__")
    ('http_status', '_1st', '_name__')
    """
    cleaned = _LABEL_INVALID.sub("_", name) or "_"
    if cleaned[0].isdigit():
        cleaned = f"_{cleaned}"
    return "_" + cleaned.lstrip("_") if cleaned.startswith("__") else cleaned


@final
@dataclass(frozen=True, slots=True)
class SampleFields:
    """Where a sample's parts are in an event: field paths (``labels``: an object)."""

    name: str = "name"
    value: str = "value"
    labels: str = "tags"
    timestamp: str | None = None


@final
@dataclass(frozen=True, slots=True)
class Sample:
    """One value of one series: valid name, sorted labels, a time in ms (``None``: time of sending).

    ``delta``: a gauge's change rather than its level (statsd ``+3|g``/``-2|g``, ``"delta": true``).
    """

    name: str
    labels: tuple[tuple[str, str], ...]
    value: float
    timestamp_ms: int | None
    counter: bool
    delta: bool = False

    @property
    def series(self) -> tuple[str, tuple[tuple[str, str], ...]]:
        """The series this sample belongs to: its name and label set."""
        return self.name, self.labels


def read_sample(event: Event, fields: SampleFields) -> Sample | str:
    """The sample an event carries, or why it carries none (a reason for its dead letter).

    An event with ``type: counter`` (statsd) or ``monotonic: true`` (OTLP sums) is a counter; any
    other with ``delta: true`` (a statsd gauge sent with a sign) is a gauge's change.

    >>> from pipeflow.domain.events import EventId, EventMeta
    >>> e = Event(EventId("1"), EventMeta("s", 0.0), {"name": "req.n", "value": 2, "tags": {"a.b": 1}})
    >>> read_sample(e, SampleFields())
    Sample(name='req_n', labels=(('a_b', '1'),), value=2.0, timestamp_ms=None, counter=False, delta=False)
    >>> read_sample(e.with_field("value", "2"), SampleFields())
    "'value' is not a number: '2'"
    """
    name = event.get(fields.name)
    if not isinstance(name, str) or not name:
        return f"{fields.name!r} is not a metric name (a non-empty string): {_show(name)}"
    value = event.get(fields.value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f"{fields.value!r} is not a number: {_show(value)}"
    raw_labels = event.get(fields.labels, {})
    if raw_labels is None:
        raw_labels = {}
    if not isinstance(raw_labels, dict):
        return f"{fields.labels!r} is not an object of labels: {_show(raw_labels)}"
    timestamp_ms: int | None = None
    if fields.timestamp is not None and (raw_time := event.get(fields.timestamp)) is not None:
        seconds = epoch_seconds(raw_time)
        if seconds is None:
            return f"{fields.timestamp!r} is not a time (ISO 8601 or epoch seconds): {_show(raw_time)}"
        timestamp_ms = round(seconds * 1000)
    counter = event.get("type") == "counter" or event.get("monotonic") is True
    delta = not counter and event.get("delta") is True
    return Sample(sanitize_metric_name(name), _labels(raw_labels), float(value), timestamp_ms, counter, delta)


def _labels(raw: dict[str, Json]) -> tuple[tuple[str, str], ...]:
    """Sanitized names and text values, sorted; the first key (in key order) wins a name clash.

    An empty or null value is no label, as Prometheus reads it.
    """
    labels: dict[str, str] = {}
    for key in sorted(raw):
        text = _label_value(raw[key])
        if text:
            labels.setdefault(sanitize_label_name(key), text)
    return tuple(sorted(labels.items()))


def _label_value(value: Json) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def _show(value: Json) -> str:
    if value is None:
        return "missing or null"
    text = repr(value)
    return text if len(text) <= 64 else f"{text[:61]}..."
