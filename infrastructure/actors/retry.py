"""Retry policy: exponential backoff with full jitter, the delays drawn from an injectable RNG."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import final


@final
@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """``attempts`` tries in all; before try ``k+1`` wait uniformly in ``[0, min(max, base * 2**k)]``."""

    attempts: int = 5
    backoff_s: float = 0.1
    max_backoff_s: float = 10.0
    rng: random.Random = field(default_factory=random.Random, compare=False)

    def delay(self, attempt: int) -> float:
        """The pause after failed attempt number ``attempt`` (0-based)."""
        cap = min(
            self.max_backoff_s, self.backoff_s * (2 ** min(attempt, 64))
        )  # retried for ever: no overflow
        return self.rng.uniform(0.0, cap)


__all__ = ["RetryPolicy"]
