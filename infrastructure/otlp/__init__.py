"""OTLP over HTTP: decoding export requests into events, encoding events into export requests.

Imported only by the ``otlp`` source and sink (``opentelemetry-proto``, the optional extra
``otlp``): a run that does not use OTLP never loads protobuf.
"""

from __future__ import annotations

__all__: list[str] = []
