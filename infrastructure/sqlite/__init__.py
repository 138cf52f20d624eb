"""SQLite adapters: state database, repositories."""

from __future__ import annotations

__all__: list[str] = []
