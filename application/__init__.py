"""Use cases written against the domain's ports."""

from __future__ import annotations

__all__: list[str] = []
