"""Sinks: adapters that write batches of events."""

from __future__ import annotations

__all__: list[str] = []
