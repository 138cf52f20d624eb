"""What every config model shares: strictness, the line formats, the listen-address pattern."""

from __future__ import annotations

from typing import Literal, TypeAlias

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    """Base: unknown keys are errors (a typo must not be ignored)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


Format: TypeAlias = Literal["ndjson", "lines"]


ADDRESS = r"^(\[[0-9A-Fa-f:.]+\]|[^:\s\[\]]*):\d{1,5}$"  # host:port, [v6]:port or :port


__all__ = ["ADDRESS", "Format", "Strict"]
