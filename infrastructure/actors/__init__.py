"""The runtime: actors owning bounded streams, wired into a topology under one task group."""

from __future__ import annotations

__all__: list[str] = []
