"""The edges: CLI, HTTP API, config parsing, and the one composition root ``bootstrap``."""

from __future__ import annotations

__all__: list[str] = []
