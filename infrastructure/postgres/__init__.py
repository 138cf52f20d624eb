"""PostgreSQL adapters of the repository ports, shared by every worker, with change notifications."""

from __future__ import annotations

__all__: list[str] = []
