"""Sources: pull-based async iterators of ``SourceBatch`` values."""

from __future__ import annotations

__all__: list[str] = []
