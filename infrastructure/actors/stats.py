"""Run statistics: what came in, what went out where, what was dropped or dead-lettered."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, final


@final
@dataclass(slots=True)
class RunStats:
    """Counters owned by the runtime (one event loop, so plain ints are safe)."""

    events_in: int = 0
    events_out: dict[str, int] = field(default_factory=dict)
    dropped: int = 0
    unmatched: int = 0
    dead_lettered: int = 0
    retries: int = 0
    buffered_bytes: dict[str, int] = field(default_factory=dict)
    buffer_skipped: dict[str, int] = field(default_factory=dict)
    started_at: float = 0.0
    finished_at: float = 0.0

    def summary(self) -> dict[str, Any]:
        """The summary of spec section 1, plus the run's duration and rate (and disk buffers, if any)."""
        seconds = max(self.finished_at - self.started_at, 1e-9)
        buffers = (
            {
                "buffered_bytes": dict(sorted(self.buffered_bytes.items())),
                "buffer_skipped": dict(sorted(self.buffer_skipped.items())),
            }
            if self.buffered_bytes
            else {}
        )
        return {
            "events_in": self.events_in,
            "events_out": dict(sorted(self.events_out.items())),
            "dropped": self.dropped,
            "unmatched": self.unmatched,
            "dead_lettered": self.dead_lettered,
            "retries": self.retries,
            "seconds": round(seconds, 3),
            "events_per_second": round(self.events_in / seconds, 1),
            **buffers,
        }


__all__ = ["RunStats"]
