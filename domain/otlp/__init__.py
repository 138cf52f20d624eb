"""OpenTelemetry (OTLP) records as events, spec section 12: pure mappings from decoded values.

``values.py`` holds the scalar conventions (times as ISO 8601 UTC, ids as lowercase hex, enum
names); ``records.py`` builds the fields of the event a log record, a metric data point or a span
becomes. Decoding the protobuf or JSON is the adapters' business (``infrastructure/otlp/``).
"""

from __future__ import annotations

__all__: list[str] = []
