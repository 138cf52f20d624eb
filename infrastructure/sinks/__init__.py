"""Sinks: adapters that write batches of events."""
