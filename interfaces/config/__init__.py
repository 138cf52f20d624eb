"""Config files: YAML read with positions, validated by pydantic at the edge, built into domain values."""

from __future__ import annotations

__all__: list[str] = []
