"""Sinks: adapters that write batches of events."""

__all__: list[str] = []
