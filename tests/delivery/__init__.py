"""Delivery guarantees: crash safety, dead sinks, bad input, bounded memory, a deterministic simulation."""

from __future__ import annotations
