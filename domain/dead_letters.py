"""Dead letters: events (or raw input) pipeflow could not deliver, with where and why."""

from __future__ import annotations

from dataclasses import dataclass
from typing import final

from pipeflow.domain.json import JsonObject


@final
@dataclass(frozen=True, slots=True)
class DeadLetter:
    """One dead-letter record (spec section 2): ``event`` when there was one, else ``raw`` input."""

    id: str
    at: float
    source: str
    reason: str
    route: str | None = None
    pipeline: str | None = None
    stage: int | str | None = None
    event: JsonObject | None = None
    raw: str | None = None

    def to_json(self) -> JsonObject:
        """The record as one JSON object."""
        out: JsonObject = {
            "id": self.id,
            "at": self.at,
            "source": self.source,
            "route": self.route,
            "pipeline": self.pipeline,
            "stage": self.stage,
            "reason": self.reason,
        }
        if self.event is not None:
            out["event"] = self.event
        else:
            out["raw"] = self.raw
        return out


__all__ = ["DeadLetter"]
