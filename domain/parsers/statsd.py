"""Statsd lines (``name:value|type|@rate|#tag:v,tag2``) into metric events, or a reason.

A metric event has ``name``, ``value``, ``type`` (``counter``, ``gauge``, ``timer``,
``histogram``, ``set``, ``distribution``), ``tags`` (an object; a bare tag has the value
``null``) and ``sample_rate`` (1.0 when absent; values are kept as sent, not scaled). A gauge
whose value carries a sign (``+3``, ``-2``) is a change, not a level: it gets ``"delta": true``.
A set's value is kept as the string sent; every other value is a finite number.
"""

from __future__ import annotations

import math
import re

from pipeflow.domain.json import Json, JsonObject

TYPES = {"c": "counter", "g": "gauge", "ms": "timer", "h": "histogram", "s": "set", "d": "distribution"}
"""Statsd type codes and the names metric events carry."""

_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_INTEGER = re.compile(r"[+-]?\d+")
_NAME = re.compile(r"[^\s:|@#]+")
_MAX_NUMBER_CHARS = 64
_INT64 = 1 << 63  # JSON encoders (orjson) hold 64-bit integers; larger ones become floats


def parse_statsd_packet(text: str) -> list[tuple[str, JsonObject | str]]:
    """Each non-blank line of a packet with its metric event or the reason it is invalid.

    >>> [r for _, r in parse_statsd_packet("a:1|c\\nb:x|g")]
    [{'name': 'a', 'value': 1, 'type': 'counter', 'tags': {}, 'sample_rate': 1.0}, 'invalid value: x']
    """
    return [(line, parse_statsd_line(line)) for line in text.split("\n") if line.strip()]


def parse_statsd_line(line: str) -> JsonObject | str:
    """The metric event of one statsd line, or why it is not one.

    >>> m = parse_statsd_line("api.latency:12.5|ms|@0.5|#env:prod,canary")
    >>> m["name"], m["value"], m["type"], m["tags"], m["sample_rate"]
    ('api.latency', 12.5, 'timer', {'env': 'prod', 'canary': None}, 0.5)
    """
    head, *sections = line.strip().split("|")
    name, colon, raw_value = head.partition(":")
    if not colon:
        return "missing ':' between name and value"
    if _NAME.fullmatch(name) is None:
        return f"invalid metric name: {name[:64]!r}"
    if not sections:
        return "missing '|type'"
    code = sections[0]
    kind = TYPES.get(code)
    if kind is None:
        return f"unknown metric type: {code[:16]!r}"
    value = raw_value if kind == "set" else _number(raw_value)
    if value is None or value == "":
        return f"invalid value: {raw_value[:64]}"
    tags: JsonObject = {}
    rate: float | None = None
    for section in sections[1:]:
        if section.startswith("@") and rate is None:
            rate = _rate(section[1:])
            if rate is None:
                return f"invalid sample rate: {section[:32]}"
        elif section.startswith("#"):
            problem = _add_tags(section[1:], tags)
            if problem:
                return problem
        else:
            return f"unexpected section: {section[:32]!r}"
    event: JsonObject = {"name": name, "value": value, "type": kind, "tags": tags, "sample_rate": rate or 1.0}
    if kind == "gauge" and raw_value.startswith(("+", "-")):
        event["delta"] = True
    return event


def _number(text: str) -> Json:
    if len(text) > _MAX_NUMBER_CHARS or _NUMBER.fullmatch(text) is None:
        return None
    if _INTEGER.fullmatch(text) and abs(number := int(text)) < _INT64:
        return number
    value = float(text)
    return value if math.isfinite(value) else None


def _rate(text: str) -> float | None:
    if _NUMBER.fullmatch(text) is None:
        return None
    rate = float(text)
    return rate if 0.0 < rate <= 1.0 else None


def _add_tags(text: str, tags: JsonObject) -> str | None:
    for tag in text.split(","):
        key, colon, value = tag.partition(":")
        if not key:
            return f"invalid tag: {tag[:32]!r}"
        tags[key] = value if colon else None
    return None


__all__ = ["TYPES", "parse_statsd_line", "parse_statsd_packet"]
