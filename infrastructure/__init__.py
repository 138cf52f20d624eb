"""Adapters: actors, sources, sinks, SQLite repositories, built-in functions, plugin loading."""

from __future__ import annotations

__all__: list[str] = []
