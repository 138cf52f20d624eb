"""What every config model shares: strictness, the line formats, the listen-address pattern."""

from __future__ import annotations

from typing import Literal, TypeAlias

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    """Base: unknown keys are errors (a typo must not be ignored)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


Format: TypeAlias = Literal["ndjson", "lines"]


_PORT = r"(?:6553[0-5]|655[0-2]\d|65[0-4]\d\d|6[0-4]\d{3}|[1-5]\d{4}|\d{1,4})"  # 0-65535
ADDRESS = rf"^(\[[0-9A-Fa-f:.]+\]|[^:\s\[\]]*):{_PORT}$"  # host:port, [v6]:port or :port


__all__ = ["ADDRESS", "Format", "Strict"]
